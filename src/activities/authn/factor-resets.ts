import type { Prisma, PrismaClient } from '../../db/prisma.js';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey, ownRun } from '../idempotency.js';
import { provenAccount } from '../otp/proven-challenge.js';
import { createSecurityNotices } from '../outbox/security-notices.js';

/** What a factor reset's inbox code is recorded as (factor-reset@1). */
export const FACTOR_RESET_PURPOSE = 'factor-reset';

/** Every kind of second factor a reset removes. */
const SECOND_FACTORS = ['totp', 'webauthn', 'sms', 'recovery_code'];

/**
 * Any sign-in with a factor the account still has cancels its pending resets: the owner has not
 * lost them (called by each second factor's check when it succeeds).
 */
export async function cancelFactorResets(
  db: Pick<PrismaClient | Prisma.TransactionClient, 'factorReset'>,
  userId: string,
  at: Date,
): Promise<void> {
  await db.factorReset.updateMany({
    where: { userId, cancelledAt: null, completedAt: null },
    data: { cancelledAt: at },
  });
}

/**
 * Resetting the second factors of an account whose owner lost them all, without a support ticket:
 * a proof of the inbox, then a waiting period the owner can stop by signing in with any factor
 * they still have, told at once and again a day before (factor-reset@1).
 */
export function factorResetActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  const notices = createSecurityNotices(deps);
  return {
    /**
     * Schedules the reset for the account whose verified address this run's code proved (the
     * challenge issued to and consumed by this run: proven-challenge.ts), due at `dueAt`, and tells
     * every verified address at once. Idempotent per run.
     */
    async scheduleFactorReset(input: {
      journeyId: string;
      challengeId: string;
      waitMs: number;
      locales?: string[];
    }): Promise<{ resetId: string; dueAt: string }> {
      const journeyId = ownRun(input.journeyId);
      const idempotencyKey = activityIdempotencyKey();
      return prisma.$transaction(async (tx) => {
        const userId = await provenAccount(tx, input.challengeId, FACTOR_RESET_PURPOSE);
        const earlier = await tx.factorReset.findUnique({ where: { journeyId } });
        const reset =
          earlier ??
          (await tx.factorReset.create({
            data: {
              userId,
              journeyId,
              dueAt: new Date(now().getTime() + input.waitMs),
            },
          }));
        const dueAt = reset.dueAt.toISOString();
        await notices.tellEveryAddress(tx, {
          userId: reset.userId,
          notice: { template: 'factor-reset-scheduled', dueAt },
          phones: true,
          idempotencyKey,
          journeyId,
          ...(input.locales ? { locales: input.locales } : {}),
        });
        return { resetId: reset.id, dueAt };
      });
    },

    /** A day before: tells every verified address again, unless the reset was cancelled. */
    async remindFactorReset(input: {
      resetId: string;
      locales?: string[];
    }): Promise<{ status: 'pending' | 'cancelled' }> {
      const idempotencyKey = activityIdempotencyKey();
      return prisma.$transaction(async (tx) => {
        const reset = await tx.factorReset.findUniqueOrThrow({ where: { id: input.resetId } });
        ownRun(reset.journeyId);
        if (reset.cancelledAt) return { status: 'cancelled' };
        await notices.tellEveryAddress(tx, {
          userId: reset.userId,
          notice: { template: 'factor-reset-reminder', dueAt: reset.dueAt.toISOString() },
          phones: true,
          idempotencyKey,
          journeyId: reset.journeyId,
          ...(input.locales ? { locales: input.locales } : {}),
        });
        return { status: 'pending' };
      });
    },

    /**
     * When the period has run: removes every second factor of the account, unless a sign-in with
     * one cancelled the reset meanwhile, and tells every verified address; the next sign-in asks
     * for a new factor (PasswordVerified.mustEnrol). Checked and done under the reset's row lock.
     */
    async completeFactorReset(input: {
      resetId: string;
      locales?: string[];
    }): Promise<{ status: 'completed' | 'cancelled' }> {
      const idempotencyKey = activityIdempotencyKey();
      return prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT 1 FROM factor_resets WHERE id = ${input.resetId} FOR UPDATE`;
        const reset = await tx.factorReset.findUniqueOrThrow({ where: { id: input.resetId } });
        // Only the run that scheduled the reset completes it, and never before it is due: a run
        // handed another run's reset id (anyone who reaches Temporal can write one) removes nothing.
        ownRun(reset.journeyId);
        if (reset.cancelledAt) return { status: 'cancelled' };
        // A clock behind the timer's: retried (not failed) until the reset is due.
        if (!reset.completedAt && reset.dueAt > now())
          throw new Error(`the reset is due at ${reset.dueAt.toISOString()}`);
        if (!reset.completedAt) {
          await tx.credential.deleteMany({
            where: { userId: reset.userId, type: { in: SECOND_FACTORS } },
          });
          await tx.factorReset.update({
            where: { id: reset.id },
            data: { completedAt: now() },
          });
        }
        await notices.tellEveryAddress(tx, {
          userId: reset.userId,
          notice: { template: 'factor-reset-done' },
          idempotencyKey,
          journeyId: reset.journeyId,
          ...(input.locales ? { locales: input.locales } : {}),
        });
        return { status: 'completed' };
      });
    },
  };
}
