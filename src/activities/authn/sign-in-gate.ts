import { isUniqueViolation, type PrismaClient } from '../../db/prisma.js';
import type { Keyring } from '../../security/keyring.js';
import { pseudonymsOf, splitPseudonyms } from '../../security/pseudonyms.js';
import type { ActivityDeps } from '../deps.js';
import { canonicalRecipient } from '../otp/recipients.js';
import { createSecurityNotices } from '../outbox/security-notices.js';
import {
  createThrottle,
  OWN_FAILURES_JUDGED,
  type ThrottleKey,
  type ThrottlePolicy,
  type ThrottleRefusal,
  throttleKey,
} from './throttle.js';

/**
 * Judging sign-in attempts without handing an attacker a denial of service (NIST SP 800-63B-4
 * §3.2.2). Each attempt counts against its subject (an identifier or an account's factor: delays,
 * and NIST's 100 in a row), against the subject from its requester (the client's network: delays
 * and a lock that lapses), and against the requester across subjects (password spraying).
 *
 * A requester with fewer than OWN_FAILURES_JUDGED failures of its own on the subject is judged
 * even while the subject waits or is locked, so the owner asking from their own network is never
 * locked out by someone else's guesses; an attacker gains a few guesses per fresh network at most.
 * The subject's lock holds for every requester that failed there, until the owner signs in, or
 * signs in with a passkey (liftSignInLocks); reaching it tells the owner, once per lock.
 */
export interface SignInPolicies {
  subject: ThrottlePolicy;
  pair: ThrottlePolicy;
  /** Counted per requester across subjects: for identifiers (spraying), not for factors. */
  requester?: ThrottlePolicy;
}

/** The counts one attempt is judged by; with no requester known, the subject's alone. */
export interface AttemptKeys {
  subject: ThrottleKey;
  pair?: ThrottleKey;
  requester?: ThrottleKey;
}

/** An attempt let through: whether failing it locks the subject, and since when the subject counts. */
export type Admission = { allowed: true; locksIfWrong: boolean; since: Date } | ThrottleRefusal;

/** What a lock stops, in the owner's notice. */
export type LockedFactor = 'password' | 'totp';

const SIGN_IN_THROTTLE_PURPOSE = 'sign-in-throttle';

/** An address's throttle key: a keyed hash of it, never the account (unknown addresses alike). */
export function identifierThrottleKey(keyring: Keyring, address: string): ThrottleKey {
  return throttleKey('password', identifierPseudonyms(keyring, address));
}

const identifierPseudonyms = (keyring: Keyring, address: string) =>
  pseudonymsOf(keyring.derive(SIGN_IN_THROTTLE_PURPOSE), canonicalRecipient('email', address));

/**
 * The keys of a password attempt on `address` by `requester` (its pseudonyms, as runs carry them).
 */
export function passwordAttemptKeys(
  keyring: Keyring,
  address: string,
  requester?: string,
): AttemptKeys {
  const subject = identifierPseudonyms(keyring, address);
  const requesters = requester ? splitPseudonyms(requester) : undefined;
  return {
    subject: throttleKey('password', subject),
    ...(requesters
      ? {
          pair: throttleKey('password', subject, requesters),
          requester: throttleKey('requester', requesters),
        }
      : {}),
  };
}

/** The keys of an attempt at an account's factor (`totp`, `recovery`) by `requester`. */
export function factorAttemptKeys(factor: string, userId: string, requester?: string): AttemptKeys {
  return {
    subject: throttleKey(factor, [userId]),
    ...(requester ? { pair: throttleKey(factor, [userId], splitPseudonyms(requester)) } : {}),
  };
}

/**
 * Lifts an account's sign-in locks (its addresses' and its TOTP's), for a stronger proof than the
 * one locked: a passkey sign-in, and later account recovery. Counts per requester stay as they
 * are: a network that guessed still waits out its own delays.
 */
export async function liftSignInLocks(
  prisma: PrismaClient,
  keyring: Keyring,
  userId: string,
): Promise<void> {
  const addresses = await prisma.identifier.findMany({
    where: { userId, type: 'email' },
    select: { value: true },
  });
  const keys = [
    ...addresses.map((address) => identifierThrottleKey(keyring, address.value)),
    factorAttemptKeys('totp', userId).subject,
  ];
  await prisma.authThrottle.deleteMany({
    where: { key: { in: keys.flatMap((key) => [key.name, ...key.formerly]) } },
  });
}

export function createSignInGate(deps: ActivityDeps, policies: SignInPolicies) {
  const throttle = createThrottle(deps.prisma, deps.now);
  const notices = createSecurityNotices(deps);

  return {
    /** Counts the attempt and says whether it may be judged now. */
    async admit(keys: AttemptKeys): Promise<Admission> {
      if (keys.requester && policies.requester) {
        const verdict = await throttle.attempt(keys.requester, policies.requester);
        if (!verdict.allowed) return verdict;
      }
      let ownFailures = 0;
      if (keys.pair) {
        const verdict = await throttle.attempt(keys.pair, policies.pair);
        if (!verdict.allowed) {
          if (keys.requester) await throttle.giveBack(keys.requester);
          return verdict;
        }
        ownFailures = verdict.failures - 1;
      }
      const verdict = await throttle.attempt(keys.subject, policies.subject, {
        judged: keys.pair !== undefined && ownFailures < OWN_FAILURES_JUDGED,
      });
      if (!verdict.allowed) {
        // Refused before any check: not an attempt the requester should pay for.
        await Promise.all(
          [keys.requester, keys.pair].map((key) => (key ? throttle.giveBack(key) : undefined)),
        );
        return verdict;
      }
      // The failure that reaches the limit, not those judged after it: the owner is told once.
      return {
        allowed: true,
        locksIfWrong: verdict.failures === policies.subject.hardLimit,
        since: verdict.since,
      };
    },

    /**
     * A wrong secret: when it locks the subject, its owner (an account, when there is one) is
     * told, once per lock (the key names the account and when the count began, for retries).
     */
    async failed(
      admission: Extract<Admission, { allowed: true }>,
      owner: { userId: string; factor: LockedFactor } | undefined,
    ): Promise<void> {
      if (!admission.locksIfWrong || !owner) return;
      const idempotencyKey = `sign-in-locked:${owner.factor}:${owner.userId}:${admission.since.toISOString()}`;
      await deps.prisma
        .$transaction((tx) =>
          notices.tell(tx, {
            userId: owner.userId,
            notice: { template: 'sign-in-locked', factor: owner.factor },
            idempotencyKey,
          }),
        )
        .catch((error: unknown) => {
          // Told by a failure racing this one.
          if (!isUniqueViolation(error)) throw error;
        });
    },

    /** The right secret: the subject and this requester's count start again; spraying gives back. */
    async succeeded(keys: AttemptKeys): Promise<void> {
      await Promise.all([
        throttle.clear(keys.subject),
        keys.pair ? throttle.clear(keys.pair) : undefined,
        keys.requester ? throttle.giveBack(keys.requester) : undefined,
      ]);
    },
  };
}
