import type { PrismaClient } from '../../db/prisma.js';

/**
 * Sign-in throttling (NIST SP 800-63B-4 §3.2.2, ASVS 5.0 V6.3.1). Each key (an identifier, a
 * requester, an account's factor, or one of those from one requester) has a count of consecutive
 * failed attempts. The first `free` cost nothing; after that each attempt must wait twice as long
 * as the one before (1 s, 2 s, 4 s … up to `maxDelayMs`), and at `hardLimit` the key refuses every
 * attempt until it is cleared (by a success, a stronger sign-in, or when its window lapses).
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
/**
 * Per identifier or factor and requester: delays as per identifier, and after 20 failures a lock
 * that lapses a day after the count began, so one network guesses at most 20 times a day there.
 */
export const PAIR_THROTTLE: ThrottlePolicy = {
  free: 5,
  maxDelayMs: 15 * 60_000,
  hardLimit: 20,
  windowMs: 24 * 60 * 60_000,
};
/** Per account and factor (a TOTP code): as per identifier. */
export const FACTOR_THROTTLE: ThrottlePolicy = IDENTIFIER_THROTTLE;
/**
 * A requester with fewer failures of its own than this on an identifier or factor is judged even
 * while that one waits or is locked: other networks' guesses must not lock its owner out.
 */
export const OWN_FAILURES_JUDGED = 3;

export type AttemptVerdict =
  | { allowed: true; failures: number; since: Date }
  | { allowed: false; locked: true }
  | { allowed: false; locked: false; retryAt: Date };
export type ThrottleRefusal = Exclude<AttemptVerdict, { allowed: true }>;

/**
 * A throttle's key as the active keys name it, and the names it had under older keys of the
 * keyring: its count is carried over from those, so a key rotation resets no throttle.
 */
export interface ThrottleKey {
  name: string;
  formerly: readonly string[];
}

/**
 * `kind:part:part…` for every combination of the parts' pseudonyms (each part's active one first):
 * the first is the key's name, the others what older keys named it.
 */
export function throttleKey(kind: string, ...parts: ReadonlyArray<readonly string[]>): ThrottleKey {
  const [name, ...formerly] = parts.reduce<string[]>(
    (prefixes, part) => prefixes.flatMap((prefix) => part.map((value) => `${prefix}:${value}`)),
    [kind],
  );
  return { name: name as string, formerly };
}

const keyOf = (key: string | ThrottleKey): ThrottleKey =>
  typeof key === 'string' ? { name: key, formerly: [] } : key;

/** How long after `failures` consecutive failures the next attempt must wait. */
export function delayAfter(failures: number, policy: ThrottlePolicy): number {
  if (failures < policy.free) return 0;
  return Math.min(2 ** (failures - policy.free) * 1000, policy.maxDelayMs);
}

export function createThrottle(prisma: PrismaClient, now: () => Date) {
  /** Moves counts kept under older names onto the key's name, added up, in one statement. */
  async function carryOver(key: ThrottleKey): Promise<void> {
    if (!key.formerly.length) return;
    await prisma.$executeRaw`
      WITH former AS (
        DELETE FROM auth_throttles WHERE key = ANY(${key.formerly}::text[])
        RETURNING failures, window_start, last_failure_at)
      INSERT INTO auth_throttles (key, failures, window_start, last_failure_at)
      SELECT ${key.name}, sum(failures)::int, min(window_start), max(last_failure_at)
      FROM former HAVING count(*) > 0
      ON CONFLICT (key) DO UPDATE SET
        failures = auth_throttles.failures + EXCLUDED.failures,
        window_start = LEAST(auth_throttles.window_start, EXCLUDED.window_start),
        last_failure_at = GREATEST(auth_throttles.last_failure_at, EXCLUDED.last_failure_at)`;
  }

  /**
   * Counts an attempt on `key` if the policy lets it go ahead now (or `judged`: whatever the
   * count says); otherwise says until when not. An allowed attempt answers the count with it and
   * when the count began.
   */
  async function attempt(
    key: string | ThrottleKey,
    policy: ThrottlePolicy,
    options: { judged?: boolean } = {},
  ): Promise<AttemptVerdict> {
    const { name } = keyOf(key);
    await carryOver(keyOf(key));
    const at = now();
    const windowStart = new Date(at.getTime() - (policy.windowMs ?? at.getTime()));
    const hardLimit = policy.hardLimit ?? 2 ** 31 - 1;
    // The row lock of ON CONFLICT serialises attempts on one key; the WHERE lets one through only
    // when its wait is over. A lapsed window counts from zero again.
    const counted = await prisma.$queryRaw<Array<{ failures: number; window_start: Date }>>`
      INSERT INTO auth_throttles (key, failures, window_start, last_failure_at)
      VALUES (${name}, 1, ${at}, ${at})
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN auth_throttles.window_start < ${windowStart} THEN 1
                        ELSE auth_throttles.failures + 1 END,
        window_start = CASE WHEN auth_throttles.window_start < ${windowStart} THEN ${at}
                            ELSE auth_throttles.window_start END,
        last_failure_at = ${at}
      WHERE ${options.judged ?? false}::boolean
         OR auth_throttles.window_start < ${windowStart}
         OR (auth_throttles.failures < ${hardLimit}
             AND (auth_throttles.failures < ${policy.free}
                  OR auth_throttles.last_failure_at + make_interval(secs =>
                       LEAST(power(2, auth_throttles.failures - ${policy.free}), ${policy.maxDelayMs / 1000})
                     ) <= ${at}))
      RETURNING failures, window_start`;
    const [row] = counted;
    if (row) return { allowed: true, failures: row.failures, since: row.window_start };
    const kept = await prisma.authThrottle.findUnique({ where: { key: name } });
    if (!kept) return { allowed: false, locked: true };
    if (kept.failures < hardLimit)
      return {
        allowed: false,
        locked: false,
        retryAt: new Date(kept.lastFailureAt.getTime() + delayAfter(kept.failures, policy)),
      };
    // A lock with a window is a long wait: it lapses with the window.
    return policy.windowMs
      ? {
          allowed: false,
          locked: false,
          retryAt: new Date(kept.windowStart.getTime() + policy.windowMs),
        }
      : { allowed: false, locked: true };
  }

  /** A success, or a stronger sign-in: the key starts from zero again, under every name. */
  async function clear(key: string | ThrottleKey): Promise<void> {
    const { name, formerly } = keyOf(key);
    await prisma.authThrottle.deleteMany({ where: { key: { in: [name, ...formerly] } } });
  }

  /** An attempt that is not a failure (a success, or refused before any check): given back. */
  async function giveBack(key: string | ThrottleKey): Promise<void> {
    await prisma.$executeRaw`
      UPDATE auth_throttles SET failures = GREATEST(failures - 1, 0) WHERE key = ${keyOf(key).name}`;
  }

  return { attempt, clear, giveBack };
}
