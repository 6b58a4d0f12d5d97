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
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
