import { local, queued } from '../activity-spec.js';

export const privacyDeclarations = {
  /** A few writes in one transaction: local. */
  requestErasure: local(),
  /** Deletes across many tables once due: queued, with the worker's retries. */
  completeErasure: queued(),
};
