import { analyticsActivities } from './analytics/analytics.js';
import { factorResetActivities } from './authn/factor-resets.js';
import { factorActivities, factorRemovalActivities } from './authn/factors.js';
import { passkeyActivities } from './authn/passkeys.js';
import { passwordActivities } from './authn/passwords.js';
import { phoneActivities } from './authn/phones.js';
import { recoveryActivities } from './authn/recovery.js';
import { recoveryCodeActivities } from './authn/recovery-codes.js';
import { totpActivities } from './authn/totp.js';
import { consentActivities } from './consent/consent.js';
import type { ActivityDeps } from './deps.js';
import { identifierActivities } from './identifiers/identifiers.js';
import { registrationV1Activities } from './legacy/registration-v1/registration-v1.js';
import { otpActivities } from './otp/otp.js';
import { messageActivities } from './outbox/delivery.js';
import { erasureActivities } from './privacy/erasure.js';
import { profilePhoneActivities } from './profile/phone-number.js';
import { profileActivities } from './profile/profiling.js';
import { sessionActivities } from './sessions/sessions.js';
import { socialActivities } from './social/social-sign-in.js';
import { subscriptionActivities } from './subscriptions/subscriptions.js';

/**
 * Every activity a journey can invoke, grouped by capability and built from injected deps
 * (`now` defaults to the wall clock). Each capability declares how its activities run beside
 * them (`declarations.ts`, gathered in src/activities/catalog.ts).
 */
export function createActivities(options: Omit<ActivityDeps, 'now'> & { now?: () => Date }) {
  const deps: ActivityDeps = { ...options, now: options.now ?? (() => new Date()) };
  return {
    ...otpActivities(deps),
    ...messageActivities(deps),
    ...identifierActivities(deps),
    ...sessionActivities(deps),
    ...socialActivities(deps),
    ...passwordActivities(deps),
    ...factorActivities(deps),
    ...factorRemovalActivities(deps),
    ...totpActivities(deps),
    ...passkeyActivities(deps),
    ...recoveryCodeActivities(deps),
    ...recoveryActivities(deps),
    ...phoneActivities(deps),
    ...factorResetActivities(deps),
    ...subscriptionActivities(deps),
    ...profileActivities(deps),
    ...profilePhoneActivities(deps),
    ...consentActivities(deps),
    ...erasureActivities(deps),
    ...analyticsActivities(deps),
    ...registrationV1Activities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
