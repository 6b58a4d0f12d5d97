import { local } from '../activity-spec.js';

/** Account and identifier writes are single transactions: local. */
export const identifierDeclarations = {
  createAccount: local(),
  replaceEmail: local(),
};
