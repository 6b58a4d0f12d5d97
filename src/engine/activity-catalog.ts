import { analyticsDeclarations } from '../activities/analytics/declarations.js';
import { authnDeclarations } from '../activities/authn/declarations.js';
import { identifierDeclarations } from '../activities/identifiers/declarations.js';
import type { Activities } from '../activities/index.js';
import { otpDeclarations } from '../activities/otp/declarations.js';
import { messageDeclarations } from '../activities/outbox/declarations.js';
import { registrationV1Declarations } from '../activities/registration-v1/declarations.js';
import { sessionDeclarations } from '../activities/sessions/declarations.js';
import { subscriptionDeclarations } from '../activities/subscriptions/declarations.js';
import type { ActivitySpec } from './activity-spec.js';

export type { ActivitySpec } from './activity-spec.js';

export type ActivityName = keyof Activities;

/**
 * How each activity runs, as its capability declares it beside its implementation. Exactly the
 * activities `createActivities` builds: a missing or extra declaration does not compile.
 */
const declared = {
  ...otpDeclarations,
  ...messageDeclarations,
  ...identifierDeclarations,
  ...sessionDeclarations,
  ...authnDeclarations,
  ...subscriptionDeclarations,
  ...analyticsDeclarations,
  ...registrationV1Declarations,
};
export const activityCatalog = declared satisfies Record<ActivityName, ActivitySpec> &
  Record<Exclude<keyof typeof declared, ActivityName>, never>;

export const activityNames = Object.keys(activityCatalog) as ActivityName[];
