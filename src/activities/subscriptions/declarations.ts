import { local } from '../activity-spec.js';

/** Recording a subscription is one short database write: local. */
export const subscriptionDeclarations = {
  recordSubscription: local(),
};
