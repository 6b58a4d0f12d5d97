import { local } from '../../engine/activity-spec.js';

export const sessionDeclarations = {
  createSession: local(),
  raiseSession: local(),
};
