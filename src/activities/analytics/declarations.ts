import { local } from '../activity-spec.js';

/** A run's journey events, when no other local activity carried them (see activity-caller.ts). */
export const analyticsDeclarations = {
  recordJourneyEvents: local(),
};
