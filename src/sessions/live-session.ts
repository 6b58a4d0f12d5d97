/** What makes a stored session usable: neither logged out, nor past its lifetime, nor left idle. */
export interface SessionTimes {
  revokedAt: Date | null;
  expiresAt: Date;
  lastSeenAt: Date;
}

/**
 * A session ends at its absolute lifetime and after `idleMs` without use (ASVS 5.0 V7.3.1, V7.3.2):
 * one rule for the API that resolves bearer tokens and the worker that re-checks a run's session.
 */
export function isLive(session: SessionTimes, now: Date, idleMs: number): boolean {
  return (
    session.revokedAt === null &&
    session.expiresAt > now &&
    session.lastSeenAt.getTime() + idleMs > now.getTime()
  );
}

/** A use counts for the idle timeout at most once a minute: not a database write per request. */
export const SEEN_RESOLUTION_MS = 60_000;

/** The default idle timeout: Auth0's (3 days of inactivity); Kratos sets none by default. */
export const DEFAULT_SESSION_IDLE_HOURS = 72;
