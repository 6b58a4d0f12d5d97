import { Context } from '@temporalio/activity';
import type { Prisma, PrismaClient } from '../../db/prisma.js';
import { businessFailure } from '../../errors/journey-error.js';
import { DEFAULT_SESSION_IDLE_HOURS, isLive } from '../../sessions/live-session.js';
import { createSessionGrants } from '../../sessions/session-grant.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import { accountAal } from '../../sessions/session-store.js';
import type { ActivityDeps } from '../deps.js';

/** The session an activity acts for, as the database holds it now (the row itself). */
export type LiveSession = NonNullable<Awaited<ReturnType<PrismaClient['session']['findUnique']>>>;

type Reader = Pick<PrismaClient | Prisma.TransactionClient, 'session' | '$queryRaw'>;

/**
 * Trust boundary 1 (docs/security.md): a run's session reference is an argument, and a run's
 * arguments can be written by anyone who reaches Temporal. Every activity that acts for a signed-in
 * customer takes the reference through this check: the API's grant must be for this very run (the
 * activity's own workflow id, which no argument can change) and still in its lifetime, and the
 * session, read again now, must be live, the same customer's, and at the level the journey
 * demanded when it started (the account's highest level where it asked for that). Anything else
 * answers `session_required`, whatever the reason, and the reason goes to the worker's log.
 */
export function createSessionGuard(deps: Pick<ActivityDeps, 'keyring' | 'now' | 'sessionIdleMs'>) {
  const grants = createSessionGrants(deps.keyring);
  const idleMs = deps.sessionIdleMs ?? DEFAULT_SESSION_IDLE_HOURS * 3_600_000;
  const refuse = (reason: string) => {
    Context.current().log.warn('session refused', { reason });
    return businessFailure('session_required');
  };

  /** The run's session, re-read through `db` (a transaction, to hold it for the change it guards). */
  return async function liveSession(db: Reader, session: SessionRef): Promise<LiveSession> {
    const at = deps.now();
    const claims = grants.verify(session);
    if (!claims) throw refuse('no grant, or a grant the keyring did not sign');
    if (claims.run !== Context.current().info.workflowExecution?.workflowId)
      throw refuse('a grant for another run');
    if (!(Date.parse(claims.notAfter) > at.getTime())) throw refuse('a grant past its lifetime');
    const row = await db.session.findUnique({ where: { id: session.id } });
    if (!row || row.userId !== session.userId) throw refuse('no such session for this customer');
    if (!isLive(row, at, idleMs)) throw refuse('logged out, expired or idle');
    const demanded = Math.max(
      claims.demand.aal ?? 1,
      claims.demand.accountAal ? await accountAal(db, row.userId, claims.run) : 1,
    );
    if (row.aal < demanded) throw refuse(`aal ${row.aal} below the ${demanded} demanded`);
    return row;
  };
}

export type SessionGuard = ReturnType<typeof createSessionGuard>;
