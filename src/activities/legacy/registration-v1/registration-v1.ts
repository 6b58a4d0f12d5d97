import type { ActivityDeps } from '../../deps.js';
import { identifierActivities } from '../../identifiers/identifiers.js';
import type { IssuedOtp } from '../../otp/otp.js';
import { otpActivities } from '../../otp/otp.js';

/**
 * The activities registration@1 was written against, kept under their names for its runs still in
 * flight: Temporal checks an activity's type when it replays a history, so the names cannot change
 * under a running version. Each is the capability activity with registration@1's policy. Remove
 * with registration@1 (journeys/index.ts) once none of its runs is open.
 */
export function registrationV1Activities(deps: ActivityDeps) {
  const otp = otpActivities(deps);
  const identifiers = identifierActivities(deps);
  return {
    issueEmailCode(input: {
      journeyId: string;
      email: string;
      purpose: string;
      ttlMs: number;
      resendCooldownMs: number;
    }): Promise<IssuedOtp> {
      return otp.issueOtp({
        journeyId: input.journeyId,
        recipient: input.email,
        policy: {
          purpose: input.purpose,
          channel: 'email',
          digits: 6,
          ttlMs: input.ttlMs,
          resendCooldownMs: input.resendCooldownMs,
          template: 'registration-code',
          whenTaken: { template: 'registration-existing-account' },
        },
      });
    },
    async verifyEmailCode(input: {
      challengeId: string;
      code: string;
      maxAttempts: number;
    }): Promise<{ email: string }> {
      const { recipient } = await otp.verifyOtp(input);
      return { email: recipient };
    },
    createUser(input: {
      journeyId: string;
      email: string;
      passwordHash: string;
      termsVersion: string;
    }): Promise<{ userId: string }> {
      return identifiers.createAccount({
        journeyId: input.journeyId,
        identifiers: [{ type: 'email', value: input.email, verified: true }],
        passwordHash: input.passwordHash,
        consents: [{ purpose: 'terms', policyVersion: input.termsVersion }],
      });
    },
  };
}
