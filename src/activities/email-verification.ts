import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from '../db/prisma.js';
import { canonicalEmail } from '../engine/fields.js';
import { businessFailure } from '../engine/journey-error.js';
import { hmacSha256Hex, randomDigits, safeEqualHex } from '../security/tokens.js';
import type { ActivityDeps } from './deps.js';
import { activityIdempotencyKey } from './idempotency.js';
import { createOutbox } from './messages.js';

export const EMAIL_CODE_DIGITS = 6;

export interface IssuedEmailCode {
  challengeId: string;
  messageId: string;
  expiresAt: string;
  resendAvailableAt: string;
}

export function emailVerificationActivities(deps: ActivityDeps) {
  const { prisma, vault, renderEmail, productName } = deps;
  const outbox = createOutbox(deps);
  const { now } = deps;
  // Codes are stored as a keyed hash: 10^6 codes are trivial to brute-force from a plain hash (ASVS 2.7.6).
  const pepper = deps.keyring.derive('email-code').active;
  const codeHash = (challengeId: string, code: string) =>
    hmacSha256Hex(pepper, `${challengeId}:${code}`);

  return {
    /**
     * Issues a 6-digit code (CSPRNG) for an address and queues the email. If the address already
     * has an account, its owner is told so instead and no working code exists: the journey sees the
     * same answer either way (no account enumeration: OWASP WSTG-IDNT-04, Authentication Cheat Sheet).
     */
    async issueEmailCode(input: {
      journeyId: string;
      email: string;
      purpose: string;
      ttlMs: number;
      resendCooldownMs: number;
    }): Promise<IssuedEmailCode> {
      const idempotencyKey = activityIdempotencyKey();
      const email = canonicalEmail(input.email);
      const challengeId = randomUUID();
      const messageId = randomUUID();
      const code = randomDigits(EMAIL_CODE_DIGITS);
      const createdAt = now();
      const [owner, sentLastHour] = await Promise.all([
        prisma.identifier.findUnique({ where: { type_value: { type: 'email', value: email } } }),
        // Mail-bombing guard: past its hourly allowance an address gets no more mail. The journey
        // is answered the same way, so neither the limit nor the account shows (OWASP WSTG-BUSL-05).
        prisma.emailChallenge.count({
          where: {
            emailCanonical: email,
            createdAt: { gte: new Date(createdAt.getTime() - 3_600_000) },
          },
        }),
      ]);
      const suppressed = sentLastHour >= deps.emailCodesPerAddressPerHour;
      const expiresAt = new Date(createdAt.getTime() + input.ttlMs);
      const template = owner ? 'registration-existing-account' : 'registration-code';
      const content = owner
        ? renderEmail('registration-existing-account', { productName })
        : renderEmail('registration-code', {
            code,
            expiresInMinutes: Math.round(input.ttlMs / 60_000),
            productName,
          });
      try {
        await prisma.$transaction(async (tx) => {
          await tx.emailChallenge.create({
            data: {
              id: challengeId,
              idempotencyKey,
              journeyId: input.journeyId,
              purpose: input.purpose,
              emailCanonical: email,
              codeHash: owner || suppressed ? null : codeHash(challengeId, code),
              expiresAt,
              createdAt,
            },
          });
          await outbox.enqueueEmail(tx, {
            id: messageId,
            idempotencyKey,
            journeyId: input.journeyId,
            to: email,
            template,
            content,
            suppressed,
          });
        });
      } catch (error) {
        // A retry of this very call (its key is taken): answer what the first attempt issued.
        if (!isUniqueViolation(error)) throw error;
        const [issued, message] = await Promise.all([
          prisma.emailChallenge.findUnique({ where: { idempotencyKey } }),
          prisma.outboundMessage.findUnique({ where: { idempotencyKey } }),
        ]);
        if (!issued || !message) throw error;
        return describe(
          issued.id,
          message.id,
          issued.createdAt,
          issued.expiresAt,
          input.resendCooldownMs,
        );
      }
      return describe(challengeId, messageId, createdAt, expiresAt, input.resendCooldownMs);
    },

    /**
     * Checks a submitted code (by vault reference). Single use, expires, and locks after
     * `maxAttempts` wrong tries so a new code is required (NIST SP 800-63B §5.2.2 rate limiting).
     */
    async verifyEmailCode(input: {
      challengeId: string;
      code: string;
      maxAttempts: number;
    }): Promise<{ email: string }> {
      const attempt = activityIdempotencyKey();
      // Revealed, not taken: a retry of this call must still see what was submitted.
      const [submitted, challenge] = await Promise.all([
        vault.reveal(input.code),
        prisma.emailChallenge.findUnique({ where: { id: input.challengeId } }),
      ]);
      if (!challenge) throw businessFailure('invalid_code');
      if (challenge.consumedAt) {
        // This very call consumed it before a crash or retry: the answer is still yes.
        if (challenge.consumedBy === attempt) return { email: challenge.emailCanonical };
        throw businessFailure('code_used');
      }
      if (challenge.expiresAt <= now()) throw businessFailure('code_expired');
      if (challenge.attempts >= input.maxAttempts) {
        throw businessFailure('too_many_attempts', {
          attemptsLeft: 0,
        });
      }
      // Compute the hash even when no working code exists, so both paths cost the same.
      const expected = codeHash(challenge.id, submitted ?? '');
      const matches =
        submitted !== undefined &&
        challenge.codeHash !== null &&
        safeEqualHex(expected, challenge.codeHash);
      if (!matches) {
        await prisma.emailChallenge.updateMany({
          where: { id: challenge.id, attempts: { lt: input.maxAttempts } },
          data: { attempts: { increment: 1 } },
        });
        const attemptsLeft = Math.max(0, input.maxAttempts - challenge.attempts - 1);
        if (attemptsLeft === 0)
          throw businessFailure('too_many_attempts', {
            attemptsLeft,
          });
        throw businessFailure('invalid_code', { attemptsLeft });
      }
      const { count } = await prisma.emailChallenge.updateMany({
        where: { id: challenge.id, consumedAt: null },
        data: { consumedAt: now(), consumedBy: attempt },
      });
      if (count !== 1) throw businessFailure('code_used');
      await vault.take(input.code);
      return { email: challenge.emailCanonical };
    },
  };
}

function describe(
  challengeId: string,
  messageId: string,
  createdAt: Date,
  expiresAt: Date,
  cooldownMs: number,
): IssuedEmailCode {
  return {
    challengeId,
    messageId,
    expiresAt: expiresAt.toISOString(),
    resendAvailableAt: new Date(createdAt.getTime() + cooldownMs).toISOString(),
  };
}
