import { local } from '../activity-spec.js';

/** A few reads and writes each, idempotent: local. */
export const consentDeclarations = {
  consentToAsk: local(),
  checkConsent: local(),
  recordConsent: local(),
};
