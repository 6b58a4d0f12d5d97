import { businessFailure } from '../../errors/journey-error.js';
import { recordRunSubject } from '../../privacy/run-subjects.js';
import { hashPassword, needsRehash, verifyPassword } from '../../security/password-hash.js';
import { randomToken } from '../../security/tokens.js';
import type { ActivityDeps } from '../deps.js';
import { currentRunId } from '../idempotency.js';
import { canonicalRecipient } from '../otp/recipients.js';
import { confirmedFactorsOf, type FactorKind } from './factors.js';
import { createSignInGate, passwordAttemptKeys } from './sign-in-gate.js';
import {
  IDENTIFIER_THROTTLE,
  PAIR_THROTTLE,
  REQUESTER_THROTTLE,
  type ThrottleRefusal,
} from './throttle.js';

/** What a verified password tells the journey: whose it is, and which factors it must still ask for. */
export interface PasswordVerified {
  userId: string;
  factors: FactorKind[];
  /** The account's factors were reset (factor-reset@1) and none enrolled since: ask for one. */
  mustEnrol?: true;
}

/** A refused attempt, as the journey shows it at the password step. */
const refusal = (verdict: ThrottleRefusal) =>
  verdict.locked
    ? businessFailure('password_locked')
    : businessFailure('sign_in_throttled', { retryAt: verdict.retryAt.toISOString() });

export function passwordActivities(deps: ActivityDeps) {
  const { prisma, vault, keyring } = deps;
  const gate = createSignInGate(deps, {
    subject: IDENTIFIER_THROTTLE,
    pair: PAIR_THROTTLE,
    requester: {
      ...REQUESTER_THROTTLE,
      free: deps.signInFailuresPerRequesterPerHour ?? REQUESTER_THROTTLE.free,
    },
  });
  // One hash with today's parameters, verified against when there is no password to check, so an
  // unknown address costs the same work as a known one (ASVS 2.2.1, OWASP WSTG-IDNT-04).
  let dummy: Promise<string> | undefined;
  const dummyHash = () => {
    dummy ??= hashPassword(randomToken(24));
    return dummy;
  };

  return {
    /**
     * Checks a password (by vault reference) for an identifier. Known or not, the identifier gets
     * the same answers and the same work: throttled by a keyed hash of the identifier (never the
     * account), verified against a dummy hash when there is no password. The requester's counts
     * stop one client spraying many identifiers, and keep its guesses from locking the owner out
     * (sign-in-gate.ts). A hash made under older parameters is replaced.
     */
    async verifyPassword(input: {
      /** The address typed at sign-in; or, re-authenticating a session, its account. */
      identifier?: string;
      userId?: string;
      password: string;
      requester?: string;
    }): Promise<PasswordVerified> {
      // A session's account is throttled under its address too: one count per account, however
      // the password is asked for.
      const address =
        input.identifier ??
        (input.userId
          ? (
              await prisma.identifier.findFirst({
                where: { userId: input.userId, type: 'email' },
                orderBy: { createdAt: 'asc' },
              })
            )?.value
          : undefined);
      if (!address) throw businessFailure('invalid_credentials');
      const canonical = canonicalRecipient('email', address);
      // The blind index erasure finds this run by where nothing else will link it to the account:
      // a refused password, or one the sign-in goes on from to a second factor. (A sign-in that
      // ends here opens a session, which names its run.)
      const indexRun = () =>
        recordRunSubject(prisma, keyring, { runId: currentRunId(), address: canonical });
      const keys = passwordAttemptKeys(keyring, canonical, input.requester);
      const admission = await gate.admit(keys);
      if (!admission.allowed) throw refusal(admission);
      const [submitted, identifier] = await Promise.all([
        vault.reveal(input.password),
        prisma.identifier.findUnique({
          where: { type_value: { type: 'email', value: canonical } },
          include: { user: { include: { credentials: true } } },
        }),
      ]);
      // An account in erasure@1's grace period may sign in: that keeps it (createSession).
      const user =
        identifier && ['active', 'erasure_pending'].includes(identifier.user.status)
          ? identifier.user
          : undefined;
      const credential = user?.credentials.find(
        (candidate) => candidate.type === 'password' && candidate.secretHash,
      );
      const matches = await verifyPassword(
        credential?.secretHash ?? (await dummyHash()),
        submitted ?? '',
      );
      if (!matches || !user || !credential?.secretHash || submitted === undefined) {
        await indexRun();
        await vault.take(input.password);
        await gate.failed(admission, user && { userId: user.id, factor: 'password' });
        throw businessFailure('invalid_credentials');
      }
      await gate.succeeded(keys);
      if (needsRehash(credential.secretHash)) {
        // Only if no one changed it meanwhile.
        await prisma.credential.updateMany({
          where: { id: credential.id, secretHash: credential.secretHash },
          data: { secretHash: await hashPassword(submitted) },
        });
      }
      await vault.take(input.password);
      const factors = confirmedFactorsOf(user.credentials);
      if (factors.length > 0) await indexRun();
      const reset =
        factors.length === 0 &&
        (await prisma.factorReset.count({
          where: { userId: user.id, completedAt: { not: null } },
        })) > 0;
      return { userId: user.id, factors, ...(reset ? { mustEnrol: true as const } : {}) };
    },
  };
}
