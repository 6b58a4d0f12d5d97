import type { Prisma } from '../../db/prisma.js';
import { completeDueErasure } from '../../privacy/erasure.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey, currentRunId, ownRun } from '../idempotency.js';
import { createSecurityNotices } from '../outbox/security-notices.js';
import { createSessionGuard } from '../sessions/session-guard.js';

/**
 * A sign-in during an erasure's grace period is the customer keeping the account: the erasure is
 * cancelled, the account active again, and the customer told (createSession calls this).
 */
export async function cancelErasure(
  tx: Prisma.TransactionClient,
  notices: ReturnType<typeof createSecurityNotices>,
  input: { userId: string; at: Date; idempotencyKey: string },
): Promise<boolean> {
  const { count } = await tx.user.updateMany({
    where: { id: input.userId, status: 'erasure_pending' },
    data: { status: 'active' },
  });
  if (count === 0) return false;
  await tx.erasure.updateMany({
    where: { userId: input.userId, cancelledAt: null, completedAt: null },
    data: { cancelledAt: input.at },
  });
  await notices.tell(tx, {
    userId: input.userId,
    notice: { template: 'erasure-cancelled' },
    idempotencyKey: input.idempotencyKey,
  });
  return true;
}

/**
 * erasure@1's work (GDPR Art. 17). Trust boundary 1: the account erased is the session's, checked
 * when asked (a recent sign-in at the account's highest level, demanded by the journey's start);
 * the erasure is completed only by the run that asked for it, never before it is due, never while
 * a sign-in cancelled it or an operator's legal hold stands.
 */
export function erasureActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  const liveSession = createSessionGuard(deps);
  const notices = createSecurityNotices(deps);
  return {
    /**
     * Asks for the erasure: due after `graceMs`. At once the account can no longer be reached
     * (apps, recovery), every session ends (this one too) with every export link, and the
     * customer is told when it happens and how to stop it. Idempotent per run.
     */
    async requestErasure(input: {
      session: SessionRef;
      graceMs: number;
      locales?: string[];
    }): Promise<{ erasureId: string; dueAt: string }> {
      const journeyId = currentRunId();
      const idempotencyKey = activityIdempotencyKey();
      return prisma.$transaction(async (tx) => {
        const earlier = await tx.erasure.findUnique({ where: { journeyId } });
        if (earlier) return { erasureId: earlier.id, dueAt: earlier.dueAt.toISOString() };
        const { userId } = await liveSession(tx, input.session);
        const at = now();
        const erasure = await tx.erasure.create({
          data: {
            userId,
            journeyId,
            requestedAt: at,
            dueAt: new Date(at.getTime() + input.graceMs),
          },
        });
        await tx.user.update({ where: { id: userId }, data: { status: 'erasure_pending' } });
        await tx.session.updateMany({
          where: { userId, revokedAt: null },
          data: { revokedAt: at },
        });
        await tx.dataExport.deleteMany({ where: { userId } });
        // Single sign-on ends too: the provider's sessions, grants and tokens of theirs.
        await tx.oidcModel.deleteMany({ where: { accountId: userId } });
        const dueAt = erasure.dueAt.toISOString();
        await notices.tell(tx, {
          userId,
          notice: { template: 'erasure-scheduled', dueAt },
          idempotencyKey,
          journeyId,
          ...(input.locales ? { locales: input.locales } : {}),
        });
        return { erasureId: erasure.id, dueAt };
      });
    },

    /**
     * When the grace period has run: erases the customer everywhere (privacy/erasure.ts), unless
     * a sign-in cancelled it (`cancelled`) or a legal hold stands (`held`: lifting the hold
     * erases). Checked and done under the erasure's row lock, by the run that asked only.
     */
    async completeErasure(input: {
      erasureId: string;
    }): Promise<{ status: 'completed' | 'cancelled' | 'held' }> {
      const outcome = await prisma.$transaction(
        async (tx) => {
          const erasure = await tx.erasure.findUniqueOrThrow({ where: { id: input.erasureId } });
          ownRun(erasure.journeyId);
          return completeDueErasure(tx, erasure.id, {
            now: now(),
            keep: [erasure.journeyId],
            keyring: deps.keyring,
          });
        },
        { timeout: 60_000 },
      );
      // A clock behind the timer's: retried (not failed) until the erasure is due.
      if (outcome.status === 'not_due') throw new Error('the erasure is not due yet');
      // This process forgets the shredded keys at once; the others within RUN_KEY_CACHE_MS.
      if (outcome.runs) deps.runKeys?.forget(outcome.runs);
      return { status: outcome.status };
    },
  };
}
