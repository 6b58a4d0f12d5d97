import { createHash, randomInt, randomUUID } from 'node:crypto';
import { businessFailure } from '../../errors/journey-error.js';
import { hmacSha256Hex } from '../../security/tokens.js';
import type { SecretRef } from '../../security/vault.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import { accountAal } from '../../sessions/session-store.js';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey, ownRun } from '../idempotency.js';
import { createOutbox } from '../outbox/outbox.js';
import { createSessionGuard } from '../sessions/session-guard.js';
import { cancelFactorResets } from './factor-resets.js';
import { createSignInGate, factorAttemptKeys } from './sign-in-gate.js';
import type { ThrottlePolicy } from './throttle.js';

/** Ten codes a set (what most providers issue), each 12 characters of Crockford-free base32. */
export const RECOVERY_CODES_PER_SET = 10;
// No 0/O or 1/I/L to misread on paper: 31 symbols, 12 of them ≈ 59 bits per code.
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 12;
/** How long a new set stays revealable to the customer writing it down. */
const SET_REVEAL_TTL_MS = 15 * 60_000;

/**
 * Wrong recovery codes slow down like wrong passwords but never lock: a recovery code is the way
 * back in when the other factors are gone, and an attacker (who must know the password to be
 * asked for one) must not be able to take it from its owner.
 */
const RECOVERY_THROTTLE: ThrottlePolicy = { free: 5, maxDelayMs: 15 * 60_000 };

/** `ABCDEFGHJKMN` as it is shown: `ABCD-EFGH-JKMN`. */
const shown = (code: string) => code.match(/.{4}/g)?.join('-') ?? code;
/** What a customer types, as it was generated: case, spaces and dashes do not matter. */
const normalized = (typed: string) => typed.toUpperCase().replace(/[\s-]/g, '');

export function recoveryCodeActivities(deps: ActivityDeps) {
  const { prisma, vault, keyring, renderMessage, productName, now } = deps;
  const peppers = keyring.derive('recovery-code');
  // Per account, and per account and requester: a network's guesses do not slow the owner.
  const gate = createSignInGate(deps, { subject: RECOVERY_THROTTLE, pair: RECOVERY_THROTTLE });
  const outbox = createOutbox(deps);
  const liveSession = createSessionGuard(deps);
  // Keyed, so a copy of the database alone does not let anyone test guesses offline (NIST SP
  // 800-63B §5.1.2.2); the codes' own entropy makes a salt per code unnecessary. Each hash keeps
  // its key's id, so a key rotation leaves the codes working.
  const hashOf = (code: string, kid = peppers.activeKid) =>
    hmacSha256Hex(peppers.key(kid) as Buffer, normalized(code));
  /** One reveal slot per code of a run's set, so the step shows them as a list. */
  const slots = (journeyId: string) =>
    Array.from(
      { length: RECOVERY_CODES_PER_SET },
      (_, index) =>
        `sec_${createHash('sha256').update(`recovery-codes:${journeyId}:${index}`).digest('base64url')}` as SecretRef,
    );

  return {
    /**
     * A new set of recovery codes for an account (NIST SP 800-63B §5.1.2 look-up secrets): drawn
     * from the CSPRNG, stored only as keyed hashes, and the previous set revoked in the same
     * transaction. The codes reach the customer by vault reference; a retry of the same run shows
     * the same set. Only for an account with a TOTP key or a passkey: recovery codes stand in for a
     * strong factor, never for the lack of one (else a password alone would mint a way to aal 2),
     * and only for the run's session, live and at the level its journey demanded.
     */
    async issueRecoveryCodes(input: {
      journeyId: string;
      session: SessionRef;
    }): Promise<{ codes: Array<{ $secret: SecretRef }>; count: number }> {
      const journeyId = ownRun(input.journeyId);
      const refs = slots(journeyId);
      const issued = { codes: refs.map(($secret) => ({ $secret })), count: refs.length };
      if (await vault.reveal(refs[0] as SecretRef)) return issued;
      const codes = Array.from({ length: RECOVERY_CODES_PER_SET }, () =>
        Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''),
      );
      const issuedAt = now();
      await prisma.$transaction(async (tx) => {
        const { userId } = await liveSession(tx, input.session);
        if ((await accountAal(tx, userId)) < 2) throw businessFailure('second_factor_required');
        await tx.credential.deleteMany({ where: { userId, type: 'recovery_code' } });
        await tx.credential.createMany({
          data: codes.map((code) => ({
            id: randomUUID(),
            userId,
            type: 'recovery_code',
            secretHash: hashOf(code),
            confirmedAt: issuedAt,
            data: { set: journeyId, keyId: peppers.activeKid },
          })),
        });
      });
      await Promise.all(
        codes.map((code, index) =>
          vault.put({
            ref: refs[index] as SecretRef,
            purpose: 'recovery-code',
            value: shown(code),
            ttlMs: SET_REVEAL_TTL_MS,
          }),
        ),
      );
      return issued;
    },

    /** The set's reveal slot is no longer needed once the customer says it is saved. */
    async forgetRecoveryCodes(input: { journeyId: string }): Promise<void> {
      const journeyId = ownRun(input.journeyId);
      await Promise.all(slots(journeyId).map((ref) => vault.take(ref)));
    },

    /**
     * A recovery code as a second factor: each works once (taken in one DELETE … RETURNING, so
     * two sign-ins racing with one code cannot both pass), and its owner is told by email, with
     * how many are left. Wrong codes are slowed down per account, never locked; a requester with
     * few failures of its own is not slowed by others' (sign-in-gate.ts).
     */
    async verifyRecoveryCode(input: {
      journeyId: string;
      userId: string;
      code: string;
      locales?: string[];
      requester?: string;
    }): Promise<{ remaining: number; messageId?: string }> {
      const journeyId = ownRun(input.journeyId);
      const keys = factorAttemptKeys('recovery', input.userId, input.requester);
      const admission = await gate.admit(keys);
      if (!admission.allowed) {
        await vault.take(input.code);
        throw businessFailure('factor_throttled', {
          retryAt: admission.locked ? undefined : admission.retryAt.toISOString(),
        });
      }
      const typed = await vault.reveal(input.code);
      const idempotencyKey = activityIdempotencyKey();
      // A retry of this call after it used the code: its notice is its receipt.
      const earlier = await prisma.outboundMessage.findUnique({ where: { idempotencyKey } });
      if (earlier) {
        const remaining = await prisma.credential.count({
          where: { userId: input.userId, type: 'recovery_code' },
        });
        return { remaining, messageId: earlier.id };
      }
      // Under each listed key, matched with the key the code was hashed under (codes issued before
      // key ids were kept name none: any listed key).
      const hashes = typed ? peppers.kids.map((kid) => ({ kid, hash: hashOf(typed, kid) })) : [];
      const used = hashes.length
        ? await prisma.$queryRaw<Array<{ id: string }>>`
            DELETE FROM credentials
            WHERE user_id = ${input.userId} AND type = 'recovery_code'
              AND secret_hash = ANY(${hashes.map(({ hash }) => hash)}::text[])
              AND (data->>'keyId' IS NULL
                   OR data->>'keyId' || ':' || secret_hash = ANY(${hashes.map(({ kid, hash }) => `${kid}:${hash}`)}::text[]))
            RETURNING id`
        : [];
      await vault.take(input.code);
      if (!used.length) throw businessFailure('invalid_code');
      await gate.succeeded(keys);
      // The owner still has a factor: no reset of them goes ahead.
      await cancelFactorResets(prisma, input.userId, now());
      return prisma.$transaction(async (tx) => {
        const remaining = await tx.credential.count({
          where: { userId: input.userId, type: 'recovery_code' },
        });
        const email = await tx.identifier.findFirst({
          where: { userId: input.userId, type: 'email' },
          orderBy: { createdAt: 'asc' },
        });
        if (!email) return { remaining };
        const message = await outbox.enqueue(tx, {
          id: randomUUID(),
          idempotencyKey,
          journeyId,
          channel: 'email',
          to: email.value,
          template: 'recovery-code-used',
          rendered: renderMessage(
            'email',
            'recovery-code-used',
            { productName, remaining },
            input.locales,
          ),
        });
        return { remaining, messageId: message.id };
      });
    },
  };
}
