import { local } from '../activity-spec.js';

export const sessionDeclarations = {
  createSession: local(),
  raiseSession: local(),
};
