import { queued } from '../activity-spec.js';

/** Delivery waits on a mail server or an SMS provider: queued, so it retries on its own. */
export const messageDeclarations = {
  deliverMessage: queued(),
};
