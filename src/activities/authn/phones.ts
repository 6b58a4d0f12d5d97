import type { SessionRef } from '../../sessions/session-ref.js';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey } from '../idempotency.js';
import { provenRecipient } from '../otp/proven-challenge.js';
import { createSecurityNotices } from '../outbox/security-notices.js';
import { createSessionGuard } from '../sessions/session-guard.js';

/** What enrolling a phone proves it with: a code sent to it by this run (mfa-enrolment@1). */
export const PHONE_ENROLMENT_PURPOSE = 'phone-enrolment';

/**
 * Phones as a second factor: text-message codes, a restricted authenticator (NIST SP 800-63B-4
 * §3.1.3.3: the public telephone network can be redirected), so no recovery codes stand in for
 * one and it never outranks a stronger factor the account has.
 */
export function phoneActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  const liveSession = createSessionGuard(deps);
  const notices = createSecurityNotices(deps);
  return {
    /**
     * Keeps the number this run proved (its code challenge, consumed by this run: trust boundary
     * 1 and proven-challenge.ts) as the account's phone factor, while the session the run acts for
     * is live and at the level it demanded, and tells the owner by email, in one transaction.
     * Idempotent: the same number is one factor.
     */
    async enrolPhone(input: {
      journeyId: string;
      session: SessionRef;
      challengeId: string;
      locales?: string[];
    }): Promise<{ credentialId: string }> {
      const idempotencyKey = `${activityIdempotencyKey()}:notice`;
      return prisma.$transaction(async (tx) => {
        const { userId } = await liveSession(tx, input.session);
        const phone = await provenRecipient(tx, input.challengeId, {
          purpose: PHONE_ENROLMENT_PURPOSE,
          channel: 'sms',
          refusal: 'invalid_code',
        });
        const kept = await tx.credential.findFirst({
          where: { userId, type: 'sms', data: { path: ['phone'], equals: phone } },
          select: { id: true },
        });
        if (kept) return { credentialId: kept.id };
        const at = now();
        const credential = await tx.credential.create({
          data: {
            userId,
            type: 'sms',
            data: { phone },
            confirmedAt: at,
            createdAt: at,
            updatedAt: at,
          },
          select: { id: true },
        });
        await notices.tell(tx, {
          userId,
          notice: { template: 'factor-added', factor: 'sms' },
          idempotencyKey,
          journeyId: input.journeyId,
          ...(input.locales ? { locales: input.locales } : {}),
        });
        return { credentialId: credential.id };
      });
    },
  };
}
