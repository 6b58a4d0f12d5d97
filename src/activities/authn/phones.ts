import { Context } from '@temporalio/activity';
import { maskPhone } from '../../channels/phone-number.js';
import { businessFailure } from '../../errors/journey-error.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey, ownRun } from '../idempotency.js';
import { otpActivities } from '../otp/otp.js';
import { provenRecipient } from '../otp/proven-challenge.js';
import { createSecurityNotices } from '../outbox/security-notices.js';
import { createSessionGuard } from '../sessions/session-guard.js';
import { cancelFactorResets } from './factor-resets.js';

/** What enrolling a phone proves it with: a code sent to it by this run (mfa-enrolment@1). */
export const PHONE_ENROLMENT_PURPOSE = 'phone-enrolment';
/** A code texted to the account's phone as its second factor (sign-in, step-up, recovery). */
export const SMS_FACTOR_PURPOSE = 'sms-factor';
/** Wrong codes one texted code takes before a new one is needed (NIST SP 800-63B-4 §3.2.2). */
const SMS_CODE_ATTEMPTS = 5;
/** How long a texted factor code lives. */
const SMS_CODE_TTL_MS = 5 * 60_000;

/**
 * Phones as a second factor: text-message codes, a restricted authenticator (NIST SP 800-63B-4
 * §3.1.3.3: the public telephone network can be redirected), so no recovery codes stand in for
 * one and it never outranks a stronger factor the account has.
 */
export function phoneActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  const liveSession = createSessionGuard(deps);
  const notices = createSecurityNotices(deps);
  const otp = otpActivities(deps);
  return {
    /**
     * Texts a code to the account's phone (its most recent), as its second factor. The SMS
     * defences apply as to every text (sms-limits.ts): a refusal comes back as the business
     * failure the challenge shows at its step. The number itself stays here: the run sees it
     * masked.
     */
    async sendSmsCode(input: {
      journeyId: string;
      userId: string;
      requester?: string;
      locales?: string[];
    }): Promise<{ challengeId: string; messageId: string; expiresAt: string; phone: string }> {
      const journeyId = ownRun(input.journeyId);
      const credential = await prisma.credential.findFirst({
        where: { userId: input.userId, type: 'sms', confirmedAt: { not: null } },
        orderBy: { createdAt: 'desc' },
        select: { data: true },
      });
      const phone = (credential?.data as { phone?: string } | null)?.phone;
      if (!phone) throw businessFailure('factor_not_enrolled');
      const issued = await otp.issueOtp({
        journeyId,
        recipient: phone,
        ...(input.requester ? { requester: input.requester } : {}),
        policy: {
          purpose: SMS_FACTOR_PURPOSE,
          channel: 'sms',
          digits: 6,
          ttlMs: SMS_CODE_TTL_MS,
          resendCooldownMs: 30_000,
          template: 'sign-in-code',
          ...(input.locales ? { locales: input.locales } : {}),
        },
      });
      return {
        challengeId: issued.challengeId,
        messageId: issued.messageId,
        expiresAt: issued.expiresAt,
        phone: maskPhone(phone),
      };
    },

    /**
     * Checks a texted code (by vault reference) against this run's challenge for the account's
     * phone: single use, expiring, five wrong codes at most. A challenge of another run, or texted
     * to a number the account no longer has, proves nothing.
     */
    async verifySmsCode(input: {
      userId: string;
      challengeId: string;
      code: string;
    }): Promise<{ verifiedAt: string }> {
      const run = Context.current().info.workflowExecution?.workflowId;
      const challenge = await prisma.otpChallenge.findUnique({
        where: { id: input.challengeId },
        select: { journeyId: true, purpose: true, recipient: true },
      });
      const phones = await prisma.credential.findMany({
        where: { userId: input.userId, type: 'sms', confirmedAt: { not: null } },
        select: { data: true },
      });
      const owned = phones.some(
        (credential) =>
          (credential.data as { phone?: string } | null)?.phone === challenge?.recipient,
      );
      if (
        !challenge ||
        challenge.journeyId !== run ||
        challenge.purpose !== SMS_FACTOR_PURPOSE ||
        !owned
      )
        throw businessFailure('invalid_code');
      await otp.verifyOtp({
        challengeId: input.challengeId,
        code: input.code,
        maxAttempts: SMS_CODE_ATTEMPTS,
      });
      // The owner still has a factor: no reset of them goes ahead.
      await cancelFactorResets(prisma, input.userId, now());
      return { verifiedAt: now().toISOString() };
    },

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
      const journeyId = ownRun(input.journeyId);
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
            // The run that enrols it: a local activity may run again after a failed workflow task,
            // and the session guard must not then hold this run to the level its own phone gives.
            data: { phone, enrolledBy: journeyId },
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
          journeyId,
          ...(input.locales ? { locales: input.locales } : {}),
        });
        return { credentialId: credential.id };
      });
    },
  };
}
