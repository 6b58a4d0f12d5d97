import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey, ownRun } from '../idempotency.js';
import { provenAccount } from '../otp/proven-challenge.js';
import { createSecurityNotices } from '../outbox/security-notices.js';
import { confirmedFactorsOf, type FactorKind } from './factors.js';
import { liftSignInLocks } from './sign-in-gate.js';

/** What a code challenge for account recovery is recorded as (the journey's `purpose`). */
export const RECOVERY_PURPOSE = 'recovery';

// Trust boundary 9 (docs/security.md): account recovery acts for no session, so what it may change
// is bound to a proof made in the very run asking: its code challenge, consumed by it
// (proven-challenge.ts). The account is the one whose verified address received it.

/**
 * Account recovery (recovery@1): who proved an inbox, and, once every proof the account asks for
 * is made, its new password with every other session ended and every verified address told.
 */
export function recoveryActivities(deps: ActivityDeps) {
  const { prisma, keyring, now } = deps;
  const notices = createSecurityNotices(deps);
  return {
    /**
     * The account whose verified address this run's recovery code reached, and the second factors
     * it must still prove one of (the same the sign-in asks for).
     */
    async findRecoveryAccount(input: {
      challengeId: string;
    }): Promise<{ userId: string; factors: FactorKind[] }> {
      const userId = await provenAccount(prisma, input.challengeId, RECOVERY_PURPOSE);
      const credentials = await prisma.credential.findMany({
        where: { userId, confirmedAt: { not: null } },
        select: { type: true, confirmedAt: true },
      });
      return { userId, factors: confirmedFactorsOf(credentials) };
    },

    /**
     * Sets the new password (hashed by the step API under the policy), lifts the account's sign-in
     * locks, ends every session of the account (ASVS 5.0 V7.4.3: after a credential change) and
     * queues a notice to every verified address, in one transaction bound to the run's proof of
     * the inbox. Idempotent per activity call. The journey opens the run's own session after it.
     */
    async completeRecovery(input: {
      journeyId: string;
      challengeId: string;
      passwordHash: string;
      locales?: string[];
    }): Promise<{ userId: string; sessionsEnded: number }> {
      const journeyId = ownRun(input.journeyId);
      // A caller's mistake no retry mends.
      if (!input.passwordHash.startsWith('$argon2id$'))
        throw ApplicationFailure.nonRetryable(
          'completeRecovery takes an argon2id hash, never a password',
        );
      const at = now();
      const idempotencyKey = activityIdempotencyKey();
      const done = await prisma.$transaction(async (tx) => {
        const userId = await provenAccount(tx, input.challengeId, RECOVERY_PURPOSE);
        const password = await tx.credential.findFirst({
          where: { userId, type: 'password' },
          select: { id: true },
        });
        if (password)
          await tx.credential.update({
            where: { id: password.id },
            data: { secretHash: input.passwordHash, updatedAt: at },
          });
        else
          await tx.credential.create({
            data: {
              userId,
              type: 'password',
              secretHash: input.passwordHash,
              createdAt: at,
              updatedAt: at,
            },
          });
        const { count } = await tx.session.updateMany({
          where: { userId, revokedAt: null },
          data: { revokedAt: at },
        });
        await notices.tellEveryAddress(tx, {
          userId,
          notice: { template: 'password-reset' },
          idempotencyKey,
          journeyId,
          ...(input.locales ? { locales: input.locales } : {}),
        });
        return { userId, sessionsEnded: count };
      });
      // A lock on the old password says nothing of the new one (ASVS 5.0 V6.3.1).
      await liftSignInLocks(prisma, keyring, done.userId);
      return done;
    },
  };
}
