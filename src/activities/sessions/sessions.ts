import { createHash } from 'node:crypto';
import { createAppRegistry, type RegisteredApp } from '../../apps/app-registry.js';
import { countAppSignIn } from '../../apps/app-sign-ins.js';
import { consentDue } from '../../consent/consent-request.js';
import { businessFailure } from '../../errors/journey-error.js';
import { loadCatalogue } from '../../profile/attribute-catalogue.js';
import { pendingQuestions } from '../../profile/profiling.js';
import { randomToken, sha256Hex } from '../../security/tokens.js';
import type { SecretRef } from '../../security/vault.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import { accountAal } from '../../sessions/session-store.js';
import type { ActivityDeps } from '../deps.js';
import { ownRun } from '../idempotency.js';
import { createSecurityNotices } from '../outbox/security-notices.js';
import { cancelErasure } from '../privacy/erasure.js';
import { createSessionGuard } from './session-guard.js';

/** A session as journeys see it: the token is a vault reference the step API reveals once. */
export interface IssuedSession {
  id: string;
  token: { $secret: SecretRef };
  aal: number;
  amr: string[];
  authTime: string;
  expiresAt: string;
  /** A journey the app should run next with this session (its start body): consent, profiling. */
  continueWith?: ContinueWith;
}

export interface ContinueWith {
  journey: string;
  start: Record<string, unknown>;
}

const HANDOFF_TTL_MS = 10 * 60_000;

export function sessionActivities(deps: ActivityDeps) {
  const { prisma, vault, sessionTtlMs } = deps;
  const { now } = deps;
  const liveSession = createSessionGuard(deps);
  const apps = createAppRegistry(prisma);
  const notices = createSecurityNotices(deps);

  /**
   * What the app's progressive profiling would ask after this sign-in: a journey for the app to run
   * next with the new session (login's `continue_with`), or nothing.
   */
  async function profilingAfterSignIn(
    userId: string,
    app: RegisteredApp,
    session: { id: string; aal: number; authTime: Date },
  ): Promise<ContinueWith | undefined> {
    if (!app.profiling.questions.length) return undefined;
    const signIns = await prisma.appSignIn.findUnique({
      where: { userId_appId: { userId, appId: app.id } },
    });
    const pending = await pendingQuestions(prisma, {
      catalogue: await loadCatalogue(prisma),
      userId,
      app,
      when: { signIn: signIns?.signIns ?? 0 },
      sessionId: session.id,
      // Just signed in: as recent as a sign-in gets, at the level it reached.
      canChangeSensitive: session.aal >= (await accountAal(prisma, userId)),
      now: now(),
    });
    return pending.length
      ? { journey: 'progressive-profiling', start: { client_id: app.id } }
      : undefined;
  }
  /** A session's token goes to the journey's answer through a slot derived from the session. */
  async function handOff(sessionId: string, token: string, purpose: string): Promise<SecretRef> {
    const ref =
      `sec_${createHash('sha256').update(`${purpose}:${sessionId}`).digest('base64url')}` as SecretRef;
    await vault.put({ ref, purpose: 'session-token', value: token, ttlMs: HANDOFF_TTL_MS });
    return ref;
  }

  return {
    /**
     * Raises the run's session after step-up: the same session (no second one), at the higher of
     * its aal and the one proven. Its amr and auth_time become what this run proved, now: a fresh
     * auth_time never covers a factor that was not used (OIDC Core §2); each proven factor's own
     * time is set, the others keep theirs. Its token is replaced in the same statement, so the old
     * one stops working at once (ASVS 3.3.1: a new token on a change of privilege). The session is
     * checked first (session-guard.ts): logged out, expired, idle or another's is not raised.
     */
    async raiseSession(input: {
      journeyId: string;
      session: SessionRef;
      aal: number;
      amr: string[];
    }): Promise<IssuedSession> {
      const journeyId = ownRun(input.journeyId);
      const token = randomToken(32);
      const at = now();
      const current = await liveSession(prisma, input.session);
      const factorAuthTimes = {
        ...(current.factorAuthTimes as Record<string, string>),
        ...Object.fromEntries(input.amr.map((method) => [method, at.toISOString()])),
      };
      const aal = Math.max(current.aal, input.aal);
      const { count } = await prisma.session.updateMany({
        where: { id: current.id, tokenHash: current.tokenHash, revokedAt: null },
        data: { tokenHash: sha256Hex(token), aal, amr: input.amr, authTime: at, factorAuthTimes },
      });
      // Raised by a concurrent step-up or logged out in between: this run's proof is spent.
      if (count !== 1) throw businessFailure('session_required');
      const ref = await handOff(current.id, token, `raised:${journeyId}`);
      return {
        id: current.id,
        token: { $secret: ref },
        aal,
        amr: input.amr,
        authTime: at.toISOString(),
        expiresAt: current.expiresAt.toISOString(),
      };
    },

    /**
     * Opens a session: a 256-bit CSPRNG token stored only as its SHA-256 (ASVS 3.2.2, 3.5.2),
     * carrying aal/amr/auth_time. A retry of the same run rotates the token of the session it made.
     */
    async createSession(input: {
      journeyId: string;
      userId: string;
      aal: number;
      amr: string[];
      /** The registered app signed in through (login's `client_id`): counted, and its profiling asked. */
      clientId?: string;
    }): Promise<IssuedSession> {
      const journeyId = ownRun(input.journeyId);
      const token = randomToken(32);
      const authTime = now();
      const expiresAt = new Date(authTime.getTime() + sessionTtlMs);
      const app = input.clientId ? await apps.find(input.clientId) : undefined;
      const data = {
        userId: input.userId,
        tokenHash: sha256Hex(token),
        aal: input.aal,
        amr: input.amr,
        authTime,
        factorAuthTimes: Object.fromEntries(input.amr.map((method) => [method, authTime])),
        expiresAt,
        ...(app ? { clientId: app.id } : {}),
      };
      const create = { ...data, createdByJourney: journeyId, createdAt: authTime };
      // A retry of the same run finds its session and rotates its token. Through an app, the
      // sign-in is counted with the session's creation, once; otherwise one statement does
      // (a sign-in's cost, measured: docs/performance.md).
      const session = app
        ? await prisma.$transaction(async (tx) => {
            const made = await tx.session.findUnique({ where: { createdByJourney: journeyId } });
            if (made)
              return tx.session.update({
                where: { id: made.id },
                data: { tokenHash: data.tokenHash },
              });
            await countAppSignIn(tx, { userId: input.userId, appId: app.id, at: authTime });
            return tx.session.create({ data: create });
          })
        : await prisma.session.upsert({
            where: { createdByJourney: journeyId },
            create,
            update: { tokenHash: data.tokenHash },
          });
      // One read for what a sign-in may change: an erasure pending, purposes to decide on.
      const [standing] = await prisma.$queryRaw<Array<{ status: string; purposes: boolean }>>`
        SELECT status, EXISTS (SELECT 1 FROM purposes) AS purposes FROM users
        WHERE id = ${session.userId}`;
      // Signing in during an erasure's grace period keeps the account (erasure@1).
      if (standing?.status === 'erasure_pending')
        await prisma.$transaction((tx) =>
          cancelErasure(tx, notices, {
            userId: session.userId,
            at: authTime,
            idempotencyKey: `erasure-cancelled:${session.id}`,
          }),
        );
      // A decision due on consent (a material policy change, a required purpose) comes first.
      const continueWith =
        standing?.purposes && (await consentDue(prisma, { userId: session.userId, now: authTime }))
          ? { journey: 'consent', start: {} }
          : app
            ? await profilingAfterSignIn(session.userId, app, session)
            : undefined;
      // The reference is derived from the session so a retried call hands off through the same slot.
      const ref = await handOff(session.id, token, 'session');
      return {
        id: session.id,
        token: { $secret: ref },
        aal: session.aal,
        amr: session.amr,
        authTime: session.authTime.toISOString(),
        expiresAt: session.expiresAt.toISOString(),
        ...(continueWith ? { continueWith } : {}),
      };
    },
  };
}
