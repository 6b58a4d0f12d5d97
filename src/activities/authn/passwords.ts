import { businessFailure } from '../../engine/journey-error.js';
import { hashPassword, needsRehash, verifyPassword } from '../../security/password-hash.js';
import { hmacSha256Hex, randomToken } from '../../security/tokens.js';
import type { ActivityDeps } from '../deps.js';
import { canonicalRecipient } from '../otp/recipients.js';
import { confirmedFactorsOf, type FactorKind } from './factors.js';
import {
  type AttemptVerdict,
  createThrottle,
  IDENTIFIER_THROTTLE,
  REQUESTER_THROTTLE,
} from './throttle.js';

/** What a verified password tells the journey: whose it is, and which factors it must still ask for. */
export interface PasswordVerified {
  userId: string;
  factors: FactorKind[];
}

/** A refused attempt, as the journey shows it at the password step. */
const refusal = (verdict: Exclude<AttemptVerdict, { allowed: true }>) =>
  verdict.locked
    ? businessFailure('password_locked')
    : businessFailure('sign_in_throttled', { retryAt: verdict.retryAt.toISOString() });

export function passwordActivities(deps: ActivityDeps) {
  const { prisma, vault, keyring, now } = deps;
  const throttle = createThrottle(prisma, now);
  const throttleKeys = keyring.derive('sign-in-throttle');
  const requesterPolicy = {
    ...REQUESTER_THROTTLE,
    free: deps.signInFailuresPerRequesterPerHour ?? REQUESTER_THROTTLE.free,
  };
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
     * account), verified against a dummy hash when there is no password. The requester's count
     * stops one client spraying many identifiers. A hash made under older parameters is replaced.
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
      const identifierKey = `password:${hmacSha256Hex(throttleKeys.active, canonical)}`;
      const requesterKey = input.requester ? `requester:${input.requester}` : undefined;
      if (requesterKey) {
        const verdict = await throttle.attempt(requesterKey, requesterPolicy);
        if (!verdict.allowed) throw refusal(verdict);
      }
      const verdict = await throttle.attempt(identifierKey, IDENTIFIER_THROTTLE);
      if (!verdict.allowed) {
        // Refused before any check: not an attempt the requester should pay for.
        if (requesterKey) await throttle.giveBack(requesterKey);
        throw refusal(verdict);
      }
      const [submitted, identifier] = await Promise.all([
        vault.reveal(input.password),
        prisma.identifier.findUnique({
          where: { type_value: { type: 'email', value: canonical } },
          include: { user: { include: { credentials: true } } },
        }),
      ]);
      const user = identifier?.user.status === 'active' ? identifier.user : undefined;
      const credential = user?.credentials.find(
        (candidate) => candidate.type === 'password' && candidate.secretHash,
      );
      const matches = await verifyPassword(
        credential?.secretHash ?? (await dummyHash()),
        submitted ?? '',
      );
      if (!matches || !user || !credential?.secretHash || submitted === undefined) {
        await vault.take(input.password);
        throw businessFailure('invalid_credentials');
      }
      await Promise.all([
        throttle.clear(identifierKey),
        requesterKey ? throttle.giveBack(requesterKey) : undefined,
      ]);
      if (needsRehash(credential.secretHash)) {
        // Only if no one changed it meanwhile.
        await prisma.credential.updateMany({
          where: { id: credential.id, secretHash: credential.secretHash },
          data: { secretHash: await hashPassword(submitted) },
        });
      }
      await vault.take(input.password);
      return { userId: user.id, factors: confirmedFactorsOf(user.credentials) };
    },
  };
}
