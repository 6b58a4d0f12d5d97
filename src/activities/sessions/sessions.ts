import { createHash } from 'node:crypto';
import { randomToken, sha256Hex } from '../../security/tokens.js';
import type { SecretRef } from '../../security/vault.js';
import type { ActivityDeps } from '../deps.js';

/** A session as journeys see it: the token is a vault reference the step API reveals once. */
export interface IssuedSession {
  id: string;
  token: { $secret: SecretRef };
  aal: number;
  amr: string[];
  authTime: string;
  expiresAt: string;
}

const HANDOFF_TTL_MS = 10 * 60_000;

export function sessionActivities(deps: ActivityDeps) {
  const { prisma, vault, sessionTtlMs } = deps;
  const { now } = deps;
  return {
    /**
     * Opens a session: a 256-bit CSPRNG token stored only as its SHA-256 (ASVS 3.2.2, 3.5.2),
     * carrying aal/amr/auth_time. A retry of the same run rotates the token of the session it made.
     */
    async createSession(input: {
      journeyId: string;
      userId: string;
      aal: number;
      amr: string[];
    }): Promise<IssuedSession> {
      const token = randomToken(32);
      const authTime = now();
      const expiresAt = new Date(authTime.getTime() + sessionTtlMs);
      const data = {
        userId: input.userId,
        tokenHash: sha256Hex(token),
        aal: input.aal,
        amr: input.amr,
        authTime,
        factorAuthTimes: Object.fromEntries(input.amr.map((method) => [method, authTime])),
        expiresAt,
      };
      const session = await prisma.session.upsert({
        where: { createdByJourney: input.journeyId },
        create: { ...data, createdByJourney: input.journeyId, createdAt: authTime },
        update: { tokenHash: data.tokenHash },
      });
      // The reference is derived from the session so a retried call hands off through the same slot.
      const ref =
        `sec_${createHash('sha256').update(`session:${session.id}`).digest('base64url')}` as SecretRef;
      await vault.put({ ref, purpose: 'session-token', value: token, ttlMs: HANDOFF_TTL_MS });
      return {
        id: session.id,
        token: { $secret: ref },
        aal: session.aal,
        amr: session.amr,
        authTime: session.authTime.toISOString(),
        expiresAt: session.expiresAt.toISOString(),
      };
    },
  };
}
