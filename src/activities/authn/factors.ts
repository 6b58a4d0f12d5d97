import type { PrismaClient } from '../../db/prisma.js';
import { businessFailure } from '../../engine/journey-error.js';

/** Second factors a sign-in can challenge: those enrolled and confirmed. */
export type FactorKind = 'webauthn' | 'totp' | 'recovery_code';

const FACTOR_KINDS: readonly FactorKind[] = ['webauthn', 'totp', 'recovery_code'];

export function confirmedFactorsOf(
  credentials: Array<{ type: string; confirmedAt: Date | null }>,
): FactorKind[] {
  return FACTOR_KINDS.filter((kind) =>
    credentials.some((credential) => credential.type === kind && credential.confirmedAt),
  );
}

/** The account's second factors, for journeys that challenge a signed-in customer (step-up). */
export function factorActivities(deps: { prisma: PrismaClient }) {
  return {
    async listFactors(input: { userId: string }): Promise<{ factors: FactorKind[] }> {
      const credentials = await deps.prisma.credential.findMany({
        where: { userId: input.userId, confirmedAt: { not: null } },
        select: { type: true, confirmedAt: true },
      });
      return { factors: confirmedFactorsOf(credentials) };
    },
  };
}

/** Second factors that stand on their own: what `requireMfa` counts. */
const STRONG_FACTORS = ['totp', 'webauthn'];

export function factorRemovalActivities(deps: { prisma: PrismaClient }) {
  return {
    /**
     * Removes a second factor (a TOTP key or a passkey, by id; or `recovery_code`, the whole set).
     * With `keepOne`, the account's last TOTP key or passkey stays (a policy that requires MFA).
     * Recovery codes go with the last factor they stood in for.
     */
    async removeFactor(input: {
      userId: string;
      factor: string;
      keepOne: boolean;
    }): Promise<{ removed: string }> {
      return deps.prisma.$transaction(async (tx) => {
        if (input.factor === 'recovery_code') {
          const { count } = await tx.credential.deleteMany({
            where: { userId: input.userId, type: 'recovery_code' },
          });
          if (!count) throw businessFailure('factor_not_enrolled');
          return { removed: 'recovery_code' };
        }
        const factor = await tx.credential.findFirst({
          where: {
            id: input.factor,
            userId: input.userId,
            type: { in: STRONG_FACTORS },
            confirmedAt: { not: null },
          },
        });
        if (!factor) throw businessFailure('factor_not_enrolled');
        const others = await tx.credential.count({
          where: {
            userId: input.userId,
            id: { not: factor.id },
            type: { in: STRONG_FACTORS },
            confirmedAt: { not: null },
          },
        });
        if (others === 0 && input.keepOne) throw businessFailure('last_factor');
        await tx.credential.delete({ where: { id: factor.id } });
        if (others === 0)
          await tx.credential.deleteMany({
            where: { userId: input.userId, type: 'recovery_code' },
          });
        return { removed: factor.type };
      });
    },
  };
}
