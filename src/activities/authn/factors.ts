import type { PrismaClient } from '../../db/prisma.js';

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
