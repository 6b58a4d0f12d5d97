import type { ActivitySpec } from './activity-spec.js';
import { analyticsDeclarations } from './analytics/declarations.js';
import { authnDeclarations } from './authn/declarations.js';
import { consentDeclarations } from './consent/declarations.js';
import { identifierDeclarations } from './identifiers/declarations.js';
import type { Activities } from './index.js';
import { registrationV1Declarations } from './legacy/registration-v1/declarations.js';
import { otpDeclarations } from './otp/declarations.js';
import { messageDeclarations } from './outbox/declarations.js';
import { privacyDeclarations } from './privacy/declarations.js';
import { profileDeclarations } from './profile/declarations.js';
import { sessionDeclarations } from './sessions/declarations.js';
import { socialDeclarations } from './social/declarations.js';
import { subscriptionDeclarations } from './subscriptions/declarations.js';

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
  ...socialDeclarations,
  ...authnDeclarations,
  ...subscriptionDeclarations,
  ...profileDeclarations,
  ...consentDeclarations,
  ...privacyDeclarations,
  ...analyticsDeclarations,
  ...registrationV1Declarations,
};
export const activityCatalog = declared satisfies Record<ActivityName, ActivitySpec> &
  Record<Exclude<keyof typeof declared, ActivityName>, never>;

export const activityNames = Object.keys(activityCatalog) as ActivityName[];
