import { maskPhone } from '../channels/phone-number.js';
import type { PrismaClient } from '../db/prisma.js';
import { sha256Hex } from '../security/tokens.js';
import { DEFAULT_SESSION_IDLE_HOURS, isLive, SEEN_RESOLUTION_MS } from './live-session.js';
import type { SessionRef } from './session-ref.js';

/** A live session, as the API resolves it from a bearer token. */
export interface ActiveSession extends SessionRef {
  expiresAt: string;
}

/** What a run is told of a session: a reference to it and what it proves, never its token. */
export const sessionRefOf = (row: {
  id: string;
  userId: string;
  aal: number;
  amr: string[];
  authTime: Date;
  factorAuthTimes: unknown;
}): SessionRef => ({
  id: row.id,
  userId: row.userId,
  aal: row.aal,
  amr: row.amr,
  authTime: row.authTime.toISOString(),
  factorAuthTimes: row.factorAuthTimes as Record<string, string>,
});

/**
 * Second factors that raise an account's highest level to aal 2. A phone (text-message codes) is
 * a restricted authenticator (NIST SP 800-63B-4 §3.1.3.3) but a second factor all the same: an
 * account that has one asks aal 2 for changes to how it authenticates, as with any other.
 */
/** A session as the customer reads it (`/v1/me/sessions`, the data export): never its token. */
export const describeSession = (row: {
  device: string | null;
  clientId: string | null;
  aal: number;
  amr: string[];
  authTime: Date;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}) => ({
  ...(row.device ? { device: row.device } : {}),
  ...(row.clientId ? { client_id: row.clientId } : {}),
  aal: row.aal,
  amr: row.amr,
  auth_time: row.authTime.toISOString(),
  created_at: row.createdAt.toISOString(),
  last_seen_at: row.lastSeenAt.toISOString(),
  expires_at: row.expiresAt.toISOString(),
});

export const STRONG_FACTORS = ['totp', 'webauthn', 'sms'];

/**
 * The highest assurance level an account can reach (NIST SP 800-63B-4 §4.1.2): 2 once it has a
 * confirmed TOTP key or passkey, else 1. What `accountAal` requirements are held to. A factor the
 * run `exceptRun` enrolled itself does not count: the run that adds an account's first factor may
 * finish (its recovery codes) at the level it started at.
 */
export async function accountAal(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  userId: string,
  exceptRun?: string,
): Promise<1 | 2> {
  const [row] = await prisma.$queryRaw<Array<{ strong: number }>>`
    SELECT count(*)::int AS strong FROM credentials
    WHERE user_id = ${userId} AND type = ANY(${STRONG_FACTORS}::text[]) AND confirmed_at IS NOT NULL
      AND (${exceptRun ?? null}::text IS NULL OR (data->>'enrolledBy') IS DISTINCT FROM ${exceptRun ?? null}::text)`;
  return (row?.strong ?? 0) > 0 ? 2 : 1;
}

/**
 * Sessions as apps hold them: an opaque token, stored only as its SHA-256, so a lookup by hash is
 * the whole check (ASVS 3.2.2). Revoked, expired and idle sessions resolve to nothing; a use that
 * resolves one keeps it from going idle.
 */
export function createSessionStore(deps: {
  prisma: PrismaClient;
  idleMs?: number;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const idleMs = deps.idleMs ?? DEFAULT_SESSION_IDLE_HOURS * 3_600_000;
  const { prisma } = deps;
  return {
    async resolve(token: string): Promise<ActiveSession | undefined> {
      const at = now();
      const row = await prisma.session.findUnique({ where: { tokenHash: sha256Hex(token) } });
      if (!row || !isLive(row, at, idleMs)) return undefined;
      if (at.getTime() - row.lastSeenAt.getTime() >= SEEN_RESOLUTION_MS)
        await prisma.session.updateMany({
          where: { id: row.id, lastSeenAt: { lt: at } },
          data: { lastSeenAt: at },
        });
      return { ...sessionRefOf(row), expiresAt: row.expiresAt.toISOString() };
    },
    /** The highest level the session's account can reach (what `accountAal` asks for). */
    accountAal: (userId: string) => accountAal(prisma, userId),
    /** Logs the session out: its token stops working at once. */
    async revoke(sessionId: string): Promise<void> {
      await prisma.session.updateMany({
        where: { id: sessionId, revokedAt: null },
        data: { revokedAt: now() },
      });
    },
    /**
     * The customer's sessions still in use, newest first, as a security page lists them: where
     * (the device's User-Agent), since and until when, how strongly; never a token or its hash.
     */
    async list(userId: string, currentId: string) {
      const at = now();
      const rows = await prisma.session.findMany({
        where: { userId, revokedAt: null, expiresAt: { gt: at } },
        orderBy: { createdAt: 'desc' },
        take: 100,
      });
      return rows
        .filter((row) => isLive(row, at, idleMs))
        .map((row) => ({
          id: row.id,
          current: row.id === currentId,
          ...describeSession(row),
        }));
    },
    /** Logs out one of the customer's sessions: false when it is not theirs, or not live. */
    async revokeOwn(userId: string, sessionId: string): Promise<boolean> {
      const { count } = await prisma.session.updateMany({
        where: { id: sessionId, userId, revokedAt: null },
        data: { revokedAt: now() },
      });
      return count === 1;
    },
    /** Logs out every session of the customer but `keepId`: how many ended. */
    async revokeOthers(userId: string, keepId: string): Promise<number> {
      const { count } = await prisma.session.updateMany({
        where: { userId, id: { not: keepId }, revokedAt: null },
        data: { revokedAt: now() },
      });
      return count;
    },
    /**
     * Names the device a new session's token was handed to (its User-Agent, cut short), once: a
     * later request cannot rename it.
     */
    async describeDevice(sessionId: string, userAgent: string | undefined): Promise<void> {
      const device = userAgent?.replace(/[^\x20-\x7e]/g, '').slice(0, 256);
      if (!device) return;
      // One plain statement: it runs on the API's event loop after every completed sign-in.
      await prisma.$executeRaw`UPDATE sessions SET device = ${device} WHERE id = ${sessionId} AND device IS NULL`;
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
          type: { in: ['totp', 'webauthn', 'sms', 'recovery_code'] },
          confirmedAt: { not: null },
        },
        select: {
          id: true,
          type: true,
          confirmedAt: true,
          updatedAt: true,
          lastUsedStep: true,
          data: true,
        },
        orderBy: { createdAt: 'asc' },
      });
      const codes = credentials.filter((credential) => credential.type === 'recovery_code');
      const firstCode = codes[0];
      return [
        ...credentials
          .filter((credential) => credential.type !== 'recovery_code')
          .map((credential) => ({
            id: credential.id,
            type: credential.type as 'totp' | 'webauthn' | 'sms',
            enrolled_at: (credential.confirmedAt as Date).toISOString(),
            ...(credential.lastUsedStep !== null
              ? { last_used_at: credential.updatedAt.toISOString() }
              : {}),
            // A phone shows its last two digits only: enough to tell two apart.
            ...(credential.type === 'sms' ? { phone: maskedPhone(credential.data) } : {}),
            // A passkey whose counter went backwards: passkey-reinstatement@1 lifts it.
            ...(suspendedAt(credential.data) ? { suspended_at: suspendedAt(credential.data) } : {}),
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

const maskedPhone = (data: unknown): string =>
  maskPhone(
    typeof data === 'object' && data !== null && 'phone' in data
      ? String((data as { phone: unknown }).phone)
      : '',
  );

const suspendedAt = (data: unknown): string | undefined =>
  typeof data === 'object' && data !== null && 'suspendedAt' in data
    ? String((data as { suspendedAt: unknown }).suspendedAt)
    : undefined;

/** A second factor as apps see it: never a secret. */
export type AccountFactor =
  | {
      id: string;
      type: 'totp' | 'webauthn' | 'sms';
      enrolled_at: string;
      phone?: string;
      last_used_at?: string;
      suspended_at?: string;
    }
  | { type: 'recovery_code'; remaining: number; enrolled_at: string };
