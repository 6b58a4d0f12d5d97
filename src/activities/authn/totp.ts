import { createHash, randomUUID } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { businessFailure } from '../../errors/journey-error.js';
import { openJson, sealJson } from '../../security/seal.js';
import type { SecretRef } from '../../security/vault.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey, ownRun } from '../idempotency.js';
import { createSecurityNotices } from '../outbox/security-notices.js';
import { createSessionGuard } from '../sessions/session-guard.js';
import { cancelFactorResets } from './factor-resets.js';
import { createSignInGate, factorAttemptKeys } from './sign-in-gate.js';
import { FACTOR_THROTTLE, PAIR_THROTTLE } from './throttle.js';

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
/** One step either side, for clocks that drift and codes typed slowly (RFC 6238 §5.2). */
const TOLERANCE_SECONDS = PERIOD_SECONDS;
/** How long the enrolment's secret stays revealable to the customer setting up their app. */
const ENROLMENT_REVEAL_TTL_MS = 15 * 60_000;

/** What an enrolment shows the customer, by vault reference: the secret never enters history. */
export interface TotpEnrolment {
  credentialId: string;
  /** `otpauth://totp/…`, the QR code's content. */
  otpauthUri: { $secret: SecretRef };
  /** The same as a PNG data URL, to show as an image. */
  qrCode: { $secret: SecretRef };
  /** The key in base32, for typing into an app by hand. */
  secret: { $secret: SecretRef };
}

export function totpActivities(deps: ActivityDeps) {
  const { prisma, vault, keyring, productName, now } = deps;
  const keys = keyring.derive('totp-secret');
  const gate = createSignInGate(deps, { subject: FACTOR_THROTTLE, pair: PAIR_THROTTLE });
  const liveSession = createSessionGuard(deps);
  const notices = createSecurityNotices(deps);
  // Bound to its credential: a sealed key copied onto another row does not open.
  const openSecret = (credential: { id: string; sealedSecret: Uint8Array | null }) =>
    credential.sealedSecret
      ? openJson<{ secret: string }>(keys, credential.sealedSecret, credential.id).secret
      : undefined;
  const epoch = () => Math.floor(now().getTime() / 1000);
  /** The time step a code belongs to, if it is valid for the secret now (±1 step). */
  const stepOf = async (secret: string, code: string): Promise<number | undefined> => {
    const result = await verify({
      secret,
      token: code,
      period: PERIOD_SECONDS,
      epoch: epoch(),
      epochTolerance: TOLERANCE_SECONDS,
    });
    return result.valid && 'timeStep' in result ? result.timeStep : undefined;
  };
  /** Slots derived from the credential, so a retried call reveals through the same references. */
  const slot = (credentialId: string, what: string) =>
    `sec_${createHash('sha256').update(`totp:${credentialId}:${what}`).digest('base64url')}` as SecretRef;

  return {
    /**
     * Starts a TOTP enrolment: a new 160-bit key, sealed at rest (AES-256-GCM), not yet a factor.
     * What the customer needs to set up their app goes to the vault. Idempotent per run. For the
     * run's session only, checked live (session-guard.ts).
     */
    async beginTotpEnrolment(input: {
      journeyId: string;
      session: SessionRef;
    }): Promise<TotpEnrolment> {
      const journeyId = ownRun(input.journeyId);
      const { userId } = await liveSession(prisma, input.session);
      const pending = await prisma.credential.findFirst({
        where: {
          userId,
          type: 'totp',
          confirmedAt: null,
          data: { path: ['enrolledBy'], equals: journeyId },
        },
      });
      const id = pending?.id ?? randomUUID();
      const secret = (pending && openSecret(pending)) ?? generateSecret();
      if (!pending)
        await prisma.credential.create({
          data: {
            id,
            userId,
            type: 'totp',
            sealedSecret: sealJson(keys, { secret }, id),
            data: { enrolledBy: journeyId, algorithm: 'SHA1', digits: 6, period: 30 },
          },
        });
      const email = await prisma.identifier.findFirst({
        where: { userId, type: 'email' },
        orderBy: { createdAt: 'asc' },
      });
      const otpauthUri = generateURI({
        issuer: productName,
        label: email?.value ?? userId,
        secret,
        period: PERIOD_SECONDS,
      });
      const reveal = (what: string, value: string) =>
        vault.put({
          ref: slot(id, what),
          purpose: `totp-enrolment:${what}`,
          value,
          ttlMs: ENROLMENT_REVEAL_TTL_MS,
        });
      const [uriRef, qrRef, secretRef] = await Promise.all([
        reveal('uri', otpauthUri),
        reveal('qr', await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M' })),
        reveal('secret', secret),
      ]);
      return {
        credentialId: id,
        otpauthUri: { $secret: uriRef },
        qrCode: { $secret: qrRef },
        secret: { $secret: secretRef },
      };
    },

    /**
     * Confirms an enrolment with a code from the app: the key becomes a factor, only while the
     * run's session is live and at the level its journey demanded, checked in the transaction that
     * makes the change (a logout in between stops it). The owner is told (ASVS 5.0 V6.3.7).
     */
    async confirmTotp(input: {
      journeyId?: string;
      session: SessionRef;
      credentialId: string;
      code: string;
      locales?: string[];
    }): Promise<{ confirmedAt: string; firstFactor: boolean }> {
      // Optional: a notice with no run to deliver it goes through the outbox relay.
      const journeyId = input.journeyId === undefined ? undefined : ownRun(input.journeyId);
      const idempotencyKey = `${activityIdempotencyKey()}:notice`;
      // Checked before any work is spent, and again in the transaction that keeps the factor:
      // a logout between the two stops it there.
      const { userId } = await liveSession(prisma, input.session);
      const [code, credential] = await Promise.all([
        vault.reveal(input.code),
        prisma.credential.findFirst({ where: { id: input.credentialId, userId, type: 'totp' } }),
      ]);
      if (!credential) throw businessFailure('invalid_code');
      // The account's first second factor: the journey hands out recovery codes with it.
      const firstFactor = async () =>
        (await prisma.credential.count({
          where: {
            userId,
            id: { not: credential.id },
            type: { in: ['totp', 'webauthn', 'recovery_code'] },
            confirmedAt: { not: null },
          },
        })) === 0;
      if (credential.confirmedAt)
        return {
          confirmedAt: credential.confirmedAt.toISOString(),
          firstFactor: await firstFactor(),
        };
      const secret = openSecret(credential);
      const step = secret && code ? await stepOf(secret, code) : undefined;
      await vault.take(input.code);
      if (step === undefined) throw businessFailure('invalid_code');
      const confirmedAt = now();
      await prisma.$transaction(async (tx) => {
        await liveSession(tx, input.session);
        await tx.credential.updateMany({
          where: { id: credential.id, confirmedAt: null },
          data: { confirmedAt, lastUsedStep: BigInt(step) },
        });
        await notices.tell(tx, {
          userId,
          notice: { template: 'factor-added', factor: 'totp' },
          idempotencyKey,
          ...(journeyId ? { journeyId } : {}),
          ...(input.locales ? { locales: input.locales } : {}),
        });
      });
      // The reveal slots are no longer needed: the customer has set up their app.
      await Promise.all(
        ['uri', 'qr', 'secret'].map((what) => vault.take(slot(credential.id, what))),
      );
      return { confirmedAt: confirmedAt.toISOString(), firstFactor: await firstFactor() };
    },

    /**
     * Checks a TOTP code as a second factor. Each code is accepted once, also when submissions
     * race (the time step is claimed in one conditional update); wrong codes are throttled per
     * account, with progressive delays and at most 100 in a row (NIST SP 800-63B-4 §3.2.2), and per
     * account and requester, so guesses from elsewhere do not lock the owner out (sign-in-gate.ts).
     */
    async verifyTotp(input: {
      userId: string;
      code: string;
      requester?: string;
    }): Promise<{ verifiedAt: string }> {
      const keys = factorAttemptKeys('totp', input.userId, input.requester);
      const admission = await gate.admit(keys);
      if (!admission.allowed) {
        await vault.take(input.code);
        throw admission.locked
          ? businessFailure('factor_locked')
          : businessFailure('factor_throttled', { retryAt: admission.retryAt.toISOString() });
      }
      const [code, credentials] = await Promise.all([
        vault.reveal(input.code),
        prisma.credential.findMany({
          where: { userId: input.userId, type: 'totp', confirmedAt: { not: null } },
        }),
      ]);
      await vault.take(input.code);
      for (const credential of credentials) {
        const secret = openSecret(credential);
        const step = secret && code ? await stepOf(secret, code) : undefined;
        if (step === undefined) continue;
        const claimed = await prisma.$executeRaw`
          UPDATE credentials SET last_used_step = ${BigInt(step)}, updated_at = ${now()}
          WHERE id = ${credential.id} AND (last_used_step IS NULL OR last_used_step < ${BigInt(step)})`;
        if (claimed !== 1) throw businessFailure('code_used');
        await gate.succeeded(keys);
        // The owner still has a factor: no reset of them goes ahead.
        await cancelFactorResets(prisma, input.userId, now());
        return { verifiedAt: now().toISOString() };
      }
      await gate.failed(admission, { userId: input.userId, factor: 'totp' });
      throw businessFailure('invalid_code');
    },
  };
}
