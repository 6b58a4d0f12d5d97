import type { PrismaClient } from '../../db/prisma.js';

/**
 * Sign-in throttling (NIST SP 800-63B §5.2.2, ASVS 2.2.1). Each key (an identifier, a requester, an
 * account's factor) has a count of consecutive failed attempts. The first `free` cost nothing; after
 * that each attempt must wait twice as long as the one before (1 s, 2 s, 4 s … up to `maxDelayMs`),
 * and at `hardLimit` the key refuses every attempt until it is cleared (by a success, or by the
 * owner resetting the secret).
 *
 * An attempt is counted before the secret is checked, in one statement that also decides whether
 * the attempt may go ahead, so simultaneous attempts cannot slip past the count; a success gives
 * its count back.
 */
export interface ThrottlePolicy {
  free: number;
  maxDelayMs: number;
  /** Consecutive failures after which the key refuses everything; none for a requester. */
  hardLimit?: number;
  /** Counts older than this start again (a requester's hour); none: they never lapse. */
  windowMs?: number;
}

/** Per identifier, known or not: 5 free, then progressive delays, never more than 100 (NIST). */
export const IDENTIFIER_THROTTLE: ThrottlePolicy = {
  free: 5,
  maxDelayMs: 15 * 60_000,
  hardLimit: 100,
};
/** Per requester, across identifiers (password spraying): 20 free failures an hour. */
export const REQUESTER_THROTTLE: ThrottlePolicy = {
  free: 20,
  maxDelayMs: 15 * 60_000,
  windowMs: 60 * 60_000,
};
/** Per account and factor (a TOTP code): as per identifier. */
export const FACTOR_THROTTLE: ThrottlePolicy = IDENTIFIER_THROTTLE;

export type AttemptVerdict =
  | { allowed: true }
  | { allowed: false; locked: true }
  | { allowed: false; locked: false; retryAt: Date };

/** How long after `failures` consecutive failures the next attempt must wait. */
export function delayAfter(failures: number, policy: ThrottlePolicy): number {
  if (failures < policy.free) return 0;
  return Math.min(2 ** (failures - policy.free) * 1000, policy.maxDelayMs);
}

export function createThrottle(prisma: PrismaClient, now: () => Date) {
  /** Counts an attempt on `key` if the policy lets it go ahead now; otherwise says until when not. */
  async function attempt(key: string, policy: ThrottlePolicy): Promise<AttemptVerdict> {
    const at = now();
    const windowStart = new Date(at.getTime() - (policy.windowMs ?? at.getTime()));
    const hardLimit = policy.hardLimit ?? 2 ** 31 - 1;
    // The row lock of ON CONFLICT serialises attempts on one key; the WHERE lets one through only
    // when its wait is over. A lapsed window counts from zero again.
    const counted = await prisma.$queryRaw<Array<{ failures: number }>>`
      INSERT INTO auth_throttles (key, failures, window_start, last_failure_at)
      VALUES (${key}, 1, ${at}, ${at})
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN auth_throttles.window_start < ${windowStart} THEN 1
                        ELSE auth_throttles.failures + 1 END,
        window_start = CASE WHEN auth_throttles.window_start < ${windowStart} THEN ${at}
                            ELSE auth_throttles.window_start END,
        last_failure_at = ${at}
      WHERE auth_throttles.window_start < ${windowStart}
         OR (auth_throttles.failures < ${hardLimit}
             AND (auth_throttles.failures < ${policy.free}
                  OR auth_throttles.last_failure_at + make_interval(secs =>
                       LEAST(power(2, auth_throttles.failures - ${policy.free}), ${policy.maxDelayMs / 1000})
                     ) <= ${at}))
      RETURNING failures`;
    if (counted.length) return { allowed: true };
    const row = await prisma.authThrottle.findUnique({ where: { key } });
    if (!row || row.failures >= hardLimit) return { allowed: false, locked: true };
    return {
      allowed: false,
      locked: false,
      retryAt: new Date(row.lastFailureAt.getTime() + delayAfter(row.failures, policy)),
    };
  }

  /** A success: the identifier or factor starts from zero again. */
  async function clear(key: string): Promise<void> {
    await prisma.authThrottle.deleteMany({ where: { key } });
  }

  /** A success seen by a requester's count: it was counted as an attempt, it is given back. */
  async function giveBack(key: string): Promise<void> {
    await prisma.$executeRaw`
      UPDATE auth_throttles SET failures = GREATEST(failures - 1, 0) WHERE key = ${key}`;
  }

  return { attempt, clear, giveBack };
}
