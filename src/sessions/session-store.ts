import type { PrismaClient } from '../db/prisma.js';
import type { SessionRef } from '../engine/define-journey.js';
import { sha256Hex } from '../security/tokens.js';

/** A live session, as the API resolves it from a bearer token. */
export interface ActiveSession extends SessionRef {
  expiresAt: string;
}

/**
 * Sessions as apps hold them: an opaque token, stored only as its SHA-256, so a lookup by hash is
 * the whole check (ASVS 3.2.2). Revoked and expired sessions resolve to nothing.
 */
export function createSessionStore(deps: { prisma: PrismaClient; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const { prisma } = deps;
  return {
    async resolve(token: string): Promise<ActiveSession | undefined> {
      const row = await prisma.session.findUnique({ where: { tokenHash: sha256Hex(token) } });
      if (!row || row.revokedAt || row.expiresAt <= now()) return undefined;
      return {
        id: row.id,
        userId: row.userId,
        aal: row.aal,
        amr: row.amr,
        authTime: row.authTime.toISOString(),
        factorAuthTimes: row.factorAuthTimes as Record<string, string>,
        expiresAt: row.expiresAt.toISOString(),
      };
    },
    /** Logs the session out: its token stops working at once. */
    async revoke(sessionId: string): Promise<void> {
      await prisma.session.updateMany({
        where: { id: sessionId, revokedAt: null },
        data: { revokedAt: now() },
      });
    },
    /** The customer behind a session: id and primary (first verified) email address. */
    async identity(userId: string): Promise<{ id: string; email?: string }> {
      const email = await prisma.identifier.findFirst({
        where: { userId, type: 'email' },
        orderBy: [{ verifiedAt: { sort: 'asc', nulls: 'last' } }, { createdAt: 'asc' }],
        select: { value: true },
      });
      return { id: userId, ...(email ? { email: email.value } : {}) };
    },
    /**
     * The account's second factors, as a security settings page lists them: what and since when,
     * never a secret (no key, no hash); recovery codes as how many are left.
     */
    async factors(userId: string): Promise<AccountFactor[]> {
      const credentials = await prisma.credential.findMany({
        where: {
          userId,
          type: { in: ['totp', 'webauthn', 'recovery_code'] },
          confirmedAt: { not: null },
        },
        select: { id: true, type: true, confirmedAt: true, updatedAt: true, lastUsedStep: true },
        orderBy: { createdAt: 'asc' },
      });
      const codes = credentials.filter((credential) => credential.type === 'recovery_code');
      const firstCode = codes[0];
      return [
        ...credentials
          .filter((credential) => credential.type !== 'recovery_code')
          .map((credential) => ({
            id: credential.id,
            type: credential.type as 'totp' | 'webauthn',
            enrolled_at: (credential.confirmedAt as Date).toISOString(),
            ...(credential.lastUsedStep !== null
              ? { last_used_at: credential.updatedAt.toISOString() }
              : {}),
          })),
        ...(firstCode
          ? [
              {
                type: 'recovery_code' as const,
                remaining: codes.length,
                enrolled_at: (firstCode.confirmedAt as Date).toISOString(),
              },
            ]
          : []),
      ];
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

/** A second factor as apps see it: never a secret. */
export type AccountFactor =
  | { id: string; type: 'totp' | 'webauthn'; enrolled_at: string; last_used_at?: string }
  | { type: 'recovery_code'; remaining: number; enrolled_at: string };
