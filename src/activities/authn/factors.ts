import { businessFailure } from '../../errors/journey-error.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import { STRONG_FACTORS } from '../../sessions/session-store.js';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey, ownRun } from '../idempotency.js';
import { createSecurityNotices } from '../outbox/security-notices.js';
import { createSessionGuard } from '../sessions/session-guard.js';

/** Second factors a sign-in can challenge: those enrolled and confirmed. */
export type FactorKind = 'webauthn' | 'totp' | 'sms' | 'recovery_code';

const FACTOR_KINDS: readonly FactorKind[] = ['webauthn', 'totp', 'sms', 'recovery_code'];

export function confirmedFactorsOf(
  credentials: Array<{ type: string; confirmedAt: Date | null }>,
): FactorKind[] {
  return FACTOR_KINDS.filter((kind) =>
    credentials.some((credential) => credential.type === kind && credential.confirmedAt),
  );
}

/** The account's second factors, for journeys that challenge a signed-in customer (step-up). */
export function factorActivities(deps: ActivityDeps) {
  const liveSession = createSessionGuard(deps);
  return {
    async listFactors(input: { session: SessionRef }): Promise<{ factors: FactorKind[] }> {
      const { userId } = await liveSession(deps.prisma, input.session);
      const credentials = await deps.prisma.credential.findMany({
        where: { userId, confirmedAt: { not: null } },
        select: { type: true, confirmedAt: true },
      });
      return { factors: confirmedFactorsOf(credentials) };
    },
  };
}

export function factorRemovalActivities(deps: ActivityDeps) {
  const liveSession = createSessionGuard(deps);
  const notices = createSecurityNotices(deps);
  return {
    /**
     * Removes a second factor (a TOTP key or a passkey, by id; or `recovery_code`, the whole set)
     * for the run's session, checked live (session-guard.ts). With `keepOne`, the account's last
     * TOTP key or passkey stays (a policy that requires MFA). Recovery codes go with the last factor
     * they stood in for. The owner is told (ASVS 5.0 V6.3.7).
     */
    async removeFactor(input: {
      journeyId?: string;
      session: SessionRef;
      factor: string;
      keepOne: boolean;
      locales?: string[];
    }): Promise<{ removed: string }> {
      // Optional: a notice with no run to deliver it goes through the outbox relay.
      const journeyId = input.journeyId === undefined ? undefined : ownRun(input.journeyId);
      const idempotencyKey = `${activityIdempotencyKey()}:notice`;
      return deps.prisma.$transaction(async (tx) => {
        const { userId } = await liveSession(tx, input.session);
        const tell = (factor: string) =>
          notices.tell(tx, {
            userId,
            notice: { template: 'factor-removed', factor },
            idempotencyKey,
            ...(journeyId ? { journeyId } : {}),
            ...(input.locales ? { locales: input.locales } : {}),
          });
        if (input.factor === 'recovery_code') {
          const { count } = await tx.credential.deleteMany({
            where: { userId, type: 'recovery_code' },
          });
          if (!count) throw businessFailure('factor_not_enrolled');
          await tell('recovery_code');
          return { removed: 'recovery_code' };
        }
        const factor = await tx.credential.findFirst({
          where: {
            id: input.factor,
            userId,
            type: { in: STRONG_FACTORS },
            confirmedAt: { not: null },
          },
        });
        if (!factor) throw businessFailure('factor_not_enrolled');
        const others = await tx.credential.count({
          where: {
            userId,
            id: { not: factor.id },
            type: { in: STRONG_FACTORS },
            confirmedAt: { not: null },
          },
        });
        if (others === 0 && input.keepOne) throw businessFailure('last_factor');
        await tx.credential.delete({ where: { id: factor.id } });
        if (others === 0)
          await tx.credential.deleteMany({ where: { userId, type: 'recovery_code' } });
        await tell(factor.type);
        return { removed: factor.type };
      });
    },
  };
}
