import { randomUUID } from 'node:crypto';
import type { Channel, CodeTemplate, NoticeTemplate } from '../../channels/render.js';
import { isUniqueViolation, type Prisma } from '../../db/prisma.js';
import { businessFailure } from '../../errors/journey-error.js';
import { continueUrl, LINK_SECRET_BYTES } from '../../security/link-token.js';
import { splitPseudonyms } from '../../security/pseudonyms.js';
import { hmacSha256Hex, randomDigits, randomToken, safeEqualHex } from '../../security/tokens.js';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey, currentRunId, ownRun } from '../idempotency.js';
import { createOutbox } from '../outbox/outbox.js';
import { CODE_KEY_PURPOSE, createLinkCheck, linkHashOf } from './link-check.js';
import { canonicalRecipient, identifierTypeOf } from './recipients.js';
import { admitSms } from './sms-limits.js';

/** How a journey wants a one-time code issued: the policy travels with every call. */
export interface OtpPolicy {
  /** What the code is for (`registration`, `email-change`): recorded with the challenge. */
  purpose: string;
  channel: Channel;
  digits: number;
  ttlMs: number;
  resendCooldownMs: number;
  /** The message that carries the code. */
  template: CodeTemplate;
  /**
   * For journeys that claim an identifier (registration, email change): when the recipient
   * already identifies an account, its owner gets this notice instead and the challenge has no
   * working code. The journey sees the same answer either way (no account enumeration: OWASP
   * WSTG-IDNT-04, ASVS 2.2.x).
   */
  whenTaken?: { template: NoticeTemplate };
  /**
   * For account recovery: the code goes only to an address that is a verified identifier of an
   * active account. Any other gets the same answers after the same work (a challenge, a message
   * rendered and kept unsent), and no code works for it: nothing is sent to an address that could
   * not recover anything, and nothing shows which addresses have accounts. The code is the outbox
   * relay's to send, on its own schedule: sending it beside the step's answer made the answer
   * slower for an address with an account, which told them apart.
   */
  onlyToAccount?: boolean;
  /**
   * A link beside the code, doing what the code does (src/security/link-token.ts), built on the
   * configured public base URL only. Without PARCOURS_PUBLIC_URL the message carries the code alone.
   */
  link?: boolean;
  /** The customer's languages, most preferred first (ui_locales). */
  locales?: string[];
}

export interface IssuedOtp {
  challengeId: string;
  messageId: string;
  expiresAt: string;
  resendAvailableAt: string;
}

const HOUR_MS = 3_600_000;
/** The fewest digits a code has, whatever a policy says (NIST SP 800-63B: six at least). */
export const MIN_CODE_DIGITS = 6;
/** The most wrong tries one code takes, whatever a policy says. */
export const MAX_CODE_ATTEMPTS = 10;

export function otpActivities(deps: ActivityDeps) {
  const { prisma, vault, renderMessage, productName, now } = deps;
  const outbox = createOutbox(deps);
  // Codes are stored as a keyed hash: 10^6 codes are trivial to brute-force from a plain hash (ASVS 2.7.6).
  const peppers = deps.keyring.derive(CODE_KEY_PURPOSE);
  const linkMatches = createLinkCheck(deps.keyring);
  const codeHash = (challengeId: string, code: string, key: Buffer) =>
    hmacSha256Hex(key, `${challengeId}:${code}`);
  /** The key a challenge's code was hashed with: named by it, or the active one for older rows. */
  const keyOf = (challenge: { codeKeyId: string | null }) =>
    challenge.codeKeyId ? peppers.key(challenge.codeKeyId) : peppers.active;
  const describe = (
    ids: { challengeId: string; messageId: string },
    createdAt: Date,
    expiresAt: Date,
    cooldownMs: number,
  ): IssuedOtp => ({
    ...ids,
    expiresAt: expiresAt.toISOString(),
    resendAvailableAt: new Date(createdAt.getTime() + cooldownMs).toISOString(),
  });

  /**
   * Bombing guard (OWASP WSTG-BUSL-05): whether this code is kept, not sent. A recipient is sent at
   * most its allowance of messages an hour, whoever asks (a hard ceiling); one requester (a client's
   * network) gets at most its own, smaller allowance of them, so no single network spends it all.
   * Only messages sent count: asking again past a limit spends nothing. Checked and recorded under
   * a per-recipient lock, so concurrent requests count right. The journey is answered the same way
   * either way: neither the limit nor the account shows.
   */
  async function overAllowance(
    tx: Prisma.TransactionClient,
    recipient: string,
    requester: string | undefined,
    at: Date,
  ): Promise<boolean> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${recipient}, 0))`;
    // The requester's pseudonyms under every key: its codes before a key rotation still count.
    const pseudonyms = requester ? splitPseudonyms(requester) : [];
    const [counts] = await tx.$queryRaw<Array<{ all: number; mine: number }>>`
      SELECT count(*)::int AS "all",
             count(*) FILTER (WHERE challenge.requester = ANY(${pseudonyms}::text[]))::int AS mine
      FROM otp_challenges challenge
      JOIN outbound_messages message ON message.idempotency_key = challenge.idempotency_key
      WHERE challenge.recipient = ${recipient}
        AND challenge.created_at >= ${new Date(at.getTime() - HOUR_MS)}
        AND message.status <> 'suppressed'`;
    const { all, mine } = counts ?? { all: 0, mine: 0 };
    return all >= deps.codesPerRecipientPerHour || mine >= deps.codesPerRequesterPerHour;
  }

  return {
    /**
     * Issues a code (CSPRNG digits, stored as an HMAC) for a recipient on a channel and queues the
     * message that carries it, in one transaction. Idempotent per activity call.
     */
    async issueOtp(input: {
      journeyId: string;
      recipient: string;
      policy: OtpPolicy;
      /** Who asked (a pseudonym of the client's address, from the step API). */
      requester?: string;
    }): Promise<IssuedOtp> {
      const journeyId = ownRun(input.journeyId);
      const { policy } = input;
      const idempotencyKey = activityIdempotencyKey();
      const recipient = canonicalRecipient(policy.channel, input.recipient);
      const challengeId = randomUUID();
      const messageId = randomUUID();
      // A floor whoever asks: the policy is an argument, and arguments can be forged.
      const code = randomDigits(Math.max(MIN_CODE_DIGITS, policy.digits));
      // Made for every recipient alike, kept only with a working code.
      const linkSecret = policy.link && deps.publicUrl ? randomToken(LINK_SECRET_BYTES) : undefined;
      const createdAt = now();
      const owner =
        policy.whenTaken || policy.onlyToAccount
          ? await prisma.identifier.findUnique({
              where: { type_value: { type: identifierTypeOf(policy.channel), value: recipient } },
              select: { id: true, verifiedAt: true, user: { select: { status: true } } },
            })
          : null;
      const unsent =
        policy.onlyToAccount === true && !(owner?.verifiedAt && owner.user.status === 'active');
      const expiresAt = new Date(createdAt.getTime() + policy.ttlMs);
      const notice = owner && policy.whenTaken ? policy.whenTaken.template : undefined;
      const rendered = notice
        ? renderMessage(policy.channel, notice, { productName }, policy.locales)
        : renderMessage(
            policy.channel,
            policy.template,
            {
              code,
              expiresInMinutes: Math.round(policy.ttlMs / 60_000),
              productName,
              ...(linkSecret && deps.publicUrl
                ? { link: continueUrl(deps.publicUrl, `${challengeId}.${linkSecret}`) }
                : {}),
            },
            policy.locales,
          );
      try {
        await prisma.$transaction(async (tx) => {
          // Text messages cost money and are pumped for it: refused outright past their limits.
          const sms =
            policy.channel === 'sms'
              ? await admitSms(tx, deps.smsLimits, {
                  recipient,
                  requesterPseudonyms: input.requester ? splitPseudonyms(input.requester) : [],
                  at: createdAt,
                  idempotencyKey,
                })
              : undefined;
          const suppressed =
            (await overAllowance(tx, recipient, input.requester, createdAt)) || unsent;
          await tx.otpChallenge.create({
            data: {
              id: challengeId,
              idempotencyKey,
              journeyId,
              purpose: policy.purpose,
              channel: policy.channel,
              recipient,
              ...(sms ? { recipientCountry: sms.country } : {}),
              // Under the active key only: the older pseudonyms are for finding older rows.
              requester: input.requester ? (splitPseudonyms(input.requester)[0] as string) : null,
              ...(notice || suppressed
                ? { codeHash: null }
                : {
                    codeHash: codeHash(challengeId, code, peppers.active),
                    codeKeyId: peppers.activeKid,
                    ...(linkSecret
                      ? { linkHash: linkHashOf(peppers.active, challengeId, linkSecret) }
                      : {}),
                  }),
              expiresAt,
              createdAt,
            },
          });
          await outbox.enqueue(tx, {
            id: messageId,
            idempotencyKey,
            journeyId,
            channel: policy.channel,
            to: recipient,
            template: notice ?? policy.template,
            rendered,
            suppressed,
            ...(policy.onlyToAccount ? { deliveredBy: 'relay' as const } : {}),
          });
        });
      } catch (error) {
        // A retry of this very call (its key is taken): answer what the first attempt issued.
        if (!isUniqueViolation(error)) throw error;
        const [issued, message] = await Promise.all([
          prisma.otpChallenge.findUnique({ where: { idempotencyKey } }),
          prisma.outboundMessage.findUnique({ where: { idempotencyKey } }),
        ]);
        if (!issued || !message) throw error;
        return describe(
          { challengeId: issued.id, messageId: message.id },
          issued.createdAt,
          issued.expiresAt,
          policy.resendCooldownMs,
        );
      }
      return describe({ challengeId, messageId }, createdAt, expiresAt, policy.resendCooldownMs);
    },

    /**
     * Checks a submitted code (by vault reference). Single use, expires, and locks after
     * `maxAttempts` wrong tries so a new code is required (NIST SP 800-63B §5.2.2 rate limiting).
     */
    async verifyOtp(input: {
      challengeId: string;
      /** The code typed, or the token of the link opened (both by vault reference). */
      code?: string;
      link?: string;
      maxAttempts: number;
    }): Promise<{ recipient: string }> {
      const attempt = activityIdempotencyKey();
      // A ceiling whoever asks (NIST SP 800-63B-4 §3.2.2): the limit is an argument, and a forged
      // run could name any.
      const maxAttempts = Math.min(input.maxAttempts, MAX_CODE_ATTEMPTS);
      const ref = input.link ?? input.code;
      if (!ref) throw businessFailure('invalid_code');
      // Revealed, not taken: a retry of this call must still see what was submitted.
      const [submitted, challenge] = await Promise.all([
        vault.reveal(ref),
        prisma.otpChallenge.findUnique({ where: { id: input.challengeId } }),
      ]);
      // Another run's challenge is not this run's to guess at or spend: answered as an unknown one.
      if (!challenge || challenge.journeyId !== currentRunId())
        throw businessFailure('invalid_code');
      if (challenge.consumedAt) {
        // This very call consumed it before a crash or retry: the answer is still yes.
        if (challenge.consumedBy === attempt) return { recipient: challenge.recipient };
        throw businessFailure('code_used');
      }
      if (challenge.expiresAt <= now()) throw businessFailure('code_expired');
      if (challenge.attempts >= maxAttempts)
        throw businessFailure('too_many_attempts', { attemptsLeft: 0 });
      // Compute the hash even when no working code exists, so both paths cost the same. A code
      // hashed under a key since removed from the keyring can no longer match.
      const key = keyOf(challenge);
      const expected = codeHash(challenge.id, submitted ?? '', key ?? peppers.active);
      // A link counts for the challenge it was made for only: its id is part of the token.
      const matches =
        submitted !== undefined &&
        (input.link !== undefined
          ? linkMatches(challenge, submitted)
          : key !== undefined &&
            challenge.codeHash !== null &&
            safeEqualHex(expected, challenge.codeHash));
      if (!matches) {
        await prisma.otpChallenge.updateMany({
          where: { id: challenge.id, attempts: { lt: maxAttempts } },
          data: { attempts: { increment: 1 } },
        });
        const attemptsLeft = Math.max(0, maxAttempts - challenge.attempts - 1);
        throw businessFailure(attemptsLeft === 0 ? 'too_many_attempts' : 'invalid_code', {
          attemptsLeft,
        });
      }
      const { count } = await prisma.otpChallenge.updateMany({
        where: { id: challenge.id, consumedAt: null },
        data: { consumedAt: now(), consumedBy: attempt },
      });
      if (count !== 1) throw businessFailure('code_used');
      await vault.take(ref);
      return { recipient: challenge.recipient };
    },
  };
}
