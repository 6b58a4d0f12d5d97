import { randomUUID } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { Context } from '@temporalio/activity';
import type { PrismaClient } from '../../db/prisma.js';
import { businessFailure } from '../../errors/journey-error.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey, ownRun } from '../idempotency.js';
import { createSecurityNotices } from '../outbox/security-notices.js';
import { createSessionGuard } from '../sessions/session-guard.js';
import { cancelFactorResets } from './factor-resets.js';
import { liftSignInLocks } from './sign-in-gate.js';

/** How long a ceremony may take: a person finding their security key, or their phone. */
const CHALLENGE_TTL_MS = 5 * 60_000;

/** What is kept of a passkey (its public key and counter: nothing secret). */
interface PasskeyData {
  publicKey: string;
  counter: number;
  transports?: AuthenticatorTransport[];
  aaguid?: string;
  deviceType?: string;
  backedUp?: boolean;
  /** Set when its signature counter went backwards: it may have been cloned. */
  suspendedAt?: string;
  /** The run that enrolled it. */
  enrolledBy?: string;
}

const LOCALHOST = { rpId: 'localhost', rpName: 'Parcours', origins: ['http://localhost:3000'] };

/**
 * Passkeys (WebAuthn, @simplewebauthn/server): registration and authentication, discoverable
 * credentials included. Every challenge is single use and bound to the journey run that asked for
 * it; the origin and RP ID come from configuration and are checked in every ceremony; user
 * verification is required, so a passkey proves two factors (something you have, and a PIN or
 * biometric: aal2, amr `hwk` and `user`). A signature counter that goes backwards in an assertion
 * whose signature holds suspends the passkey (it may have been cloned), tells its owner, and is
 * refused; a stepped-up session reinstates it.
 */
export function passkeyActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  const rp = deps.webauthn ?? LOCALHOST;
  const liveSession = createSessionGuard(deps);
  const notices = createSecurityNotices(deps);

  /** A new challenge for the run; earlier unused ones of the same purpose stop counting. */
  async function rememberChallenge(
    journeyId: string,
    purpose: 'registration' | 'authentication',
    challenge: string,
  ): Promise<void> {
    const at = now();
    await prisma.$transaction([
      prisma.webauthnChallenge.updateMany({
        where: { journeyId, purpose, usedAt: null },
        data: { usedAt: at },
      }),
      prisma.webauthnChallenge.create({
        data: {
          journeyId,
          purpose,
          challenge,
          expiresAt: new Date(at.getTime() + CHALLENGE_TTL_MS),
          createdAt: at,
        },
      }),
    ]);
  }

  /** Takes the run's live challenge: once, in one statement (a replay finds none). */
  async function takeChallenge(
    journeyId: string,
    purpose: 'registration' | 'authentication',
  ): Promise<string> {
    const taken = await prisma.$queryRaw<Array<{ challenge: string }>>`
      UPDATE webauthn_challenges SET used_at = ${now()}
      WHERE id = (
        SELECT id FROM webauthn_challenges
        WHERE journey_id = ${journeyId} AND purpose = ${purpose}
          AND used_at IS NULL AND expires_at > ${now()}
        ORDER BY created_at DESC LIMIT 1)
      AND used_at IS NULL
      RETURNING challenge`;
    const challenge = taken[0]?.challenge;
    if (!challenge) throw businessFailure('passkey_refused', { reason: 'no_live_challenge' });
    return challenge;
  }

  const passkeysOf = (client: Pick<PrismaClient, 'credential'>, userId: string) =>
    client.credential.findMany({
      where: { userId, type: 'webauthn', confirmedAt: { not: null } },
      select: { externalId: true, data: true },
    });

  /**
   * Every refusal answers alike, whether the credential is unknown, another account's, suspended,
   * or its assertion does not verify: the answer must not tell whether an id exists or what state
   * it is in. Why goes to the worker's log, for operators.
   */
  const refused = (reason: unknown) => {
    Context.current().log.info('passkey refused', {
      reason: reason instanceof Error ? reason.message.slice(0, 200) : String(reason),
    });
    return businessFailure('passkey_refused');
  };

  /** Suspends a passkey whose signed counter went backwards, and tells its owner, at once. */
  async function suspend(passkeyId: string, userId: string, journeyId: string): Promise<void> {
    const idempotencyKey = `${activityIdempotencyKey()}:suspended`;
    await prisma.$transaction(async (tx) => {
      const suspended = await tx.$executeRaw`
        UPDATE credentials
        SET data = jsonb_set(data, '{suspendedAt}', to_jsonb(${now().toISOString()}::text)),
            updated_at = ${now()}
        WHERE id = ${passkeyId} AND NOT (data ? 'suspendedAt')`;
      // Suspended by a racing assertion already: that one tells the owner.
      if (suspended === 1)
        await notices.tell(tx, {
          userId,
          notice: { template: 'passkey-suspended' },
          idempotencyKey,
          journeyId,
        });
    });
  }

  return {
    /** Options for the browser's navigator.credentials.create(): a discoverable passkey. */
    async beginPasskeyRegistration(input: {
      journeyId: string;
      session: SessionRef;
    }): Promise<{ options: PublicKeyCredentialCreationOptionsJSON }> {
      const journeyId = ownRun(input.journeyId);
      const { userId } = await liveSession(prisma, input.session);
      const [email, existing] = await Promise.all([
        prisma.identifier.findFirst({
          where: { userId, type: 'email' },
          orderBy: { createdAt: 'asc' },
        }),
        passkeysOf(prisma, userId),
      ]);
      const options = await generateRegistrationOptions({
        rpName: rp.rpName,
        rpID: rp.rpId,
        userName: email?.value ?? userId,
        userID: new TextEncoder().encode(userId),
        attestationType: 'none',
        excludeCredentials: existing.flatMap((passkey) =>
          passkey.externalId ? [{ id: passkey.externalId }] : [],
        ),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      await rememberChallenge(journeyId, 'registration', options.challenge);
      return { options };
    },

    /**
     * Checks the browser's answer and keeps the passkey (its public key) as a factor, only while the
     * run's session is live and at the level its journey demanded, checked in the transaction that
     * keeps it (a logout in between stops it). The owner is told (ASVS 5.0 V6.3.7).
     */
    async finishPasskeyRegistration(input: {
      journeyId: string;
      session: SessionRef;
      credential: RegistrationResponseJSON;
      locales?: string[];
    }): Promise<{ passkeyId: string; firstFactor: boolean }> {
      const journeyId = ownRun(input.journeyId);
      const idempotencyKey = `${activityIdempotencyKey()}:notice`;
      // Checked before any work is spent, and again in the transaction that keeps the factor:
      // a logout between the two stops it there.
      const { userId } = await liveSession(prisma, input.session);
      const expectedChallenge = await takeChallenge(journeyId, 'registration');
      let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        verification = await verifyRegistrationResponse({
          response: input.credential,
          expectedChallenge,
          expectedOrigin: rp.origins,
          expectedRPID: rp.rpId,
          requireUserVerification: true,
        });
      } catch (error) {
        throw refused(error);
      }
      if (!verification.verified || !verification.registrationInfo) throw refused(undefined);
      const { credential, aaguid, credentialDeviceType, credentialBackedUp } =
        verification.registrationInfo;
      const data: PasskeyData = {
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        ...(credential.transports
          ? { transports: credential.transports as AuthenticatorTransport[] }
          : {}),
        aaguid,
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
        enrolledBy: journeyId,
      };
      return prisma.$transaction(async (tx) => {
        await liveSession(tx, input.session);
        const others = await tx.credential.count({
          where: {
            userId,
            type: { in: ['totp', 'webauthn', 'recovery_code'] },
            confirmedAt: { not: null },
          },
        });
        const existing = await tx.credential.findUnique({ where: { externalId: credential.id } });
        // A retry of this very call finds the passkey it kept; anyone else's is refused.
        if (existing && existing.userId !== userId) throw refused('credential in use');
        const kept =
          existing ??
          (await tx.credential.create({
            data: {
              id: randomUUID(),
              userId,
              type: 'webauthn',
              externalId: credential.id,
              data: { ...data },
              confirmedAt: now(),
            },
          }));
        await notices.tell(tx, {
          userId,
          notice: { template: 'factor-added', factor: 'webauthn' },
          idempotencyKey,
          journeyId,
          ...(input.locales ? { locales: input.locales } : {}),
        });
        return { passkeyId: kept.id, firstFactor: others === (existing ? 1 : 0) };
      });
    },

    /**
     * Options for navigator.credentials.get(): for an account's passkeys (a second factor), or for
     * any discoverable passkey of this RP (sign-in without typing an address).
     */
    async beginPasskeySignIn(input: {
      journeyId: string;
      userId?: string;
    }): Promise<{ options: PublicKeyCredentialRequestOptionsJSON }> {
      const journeyId = ownRun(input.journeyId);
      const passkeys = input.userId ? await passkeysOf(prisma, input.userId) : [];
      const options = await generateAuthenticationOptions({
        rpID: rp.rpId,
        userVerification: 'required',
        allowCredentials: passkeys.flatMap((passkey) =>
          passkey.externalId
            ? [
                {
                  id: passkey.externalId,
                  ...((passkey.data as unknown as PasskeyData).transports
                    ? { transports: (passkey.data as unknown as PasskeyData).transports }
                    : {}),
                },
              ]
            : [],
        ),
      });
      await rememberChallenge(journeyId, 'authentication', options.challenge);
      return { options };
    },

    /**
     * Checks an assertion against the run's challenge and the passkey's public key. Whose passkey
     * it is comes from the credential (and must be `userId`'s when one is expected). The counter
     * is judged only once the signature holds: the library is given a counter it cannot trip on,
     * so a forged assertion can never suspend anyone's passkey; then a counter that did not move
     * forward suspends it (W3C WebAuthn §6.1.1: a cloned authenticator) and tells its owner, and
     * one that did is moved forward in a conditional update (two racing assertions cannot both).
     */
    async verifyPasskey(input: {
      journeyId: string;
      credential: AuthenticationResponseJSON;
      userId?: string;
    }): Promise<{ userId: string; userVerified: boolean }> {
      const journeyId = ownRun(input.journeyId);
      const expectedChallenge = await takeChallenge(journeyId, 'authentication');
      const passkey = await prisma.credential.findUnique({
        where: { externalId: input.credential.id },
      });
      if (
        passkey?.type !== 'webauthn' ||
        !passkey.confirmedAt ||
        (input.userId !== undefined && passkey.userId !== input.userId)
      )
        throw refused('unknown credential');
      const data = passkey.data as unknown as PasskeyData;
      if (data.suspendedAt) throw refused('suspended');
      let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
      try {
        verification = await verifyAuthenticationResponse({
          response: input.credential,
          expectedChallenge,
          expectedOrigin: rp.origins,
          expectedRPID: rp.rpId,
          credential: {
            id: input.credential.id,
            publicKey: Buffer.from(data.publicKey, 'base64url'),
            // Zero: the library compares counters before it checks the signature.
            counter: 0,
            ...(data.transports ? { transports: data.transports } : {}),
          },
          requireUserVerification: true,
        });
      } catch (error) {
        throw refused(error);
      }
      if (!verification.verified) throw refused('not verified');
      const { newCounter, userVerified } = verification.authenticationInfo;
      const stored = data.counter;
      if ((stored > 0 || newCounter > 0) && newCounter <= stored) {
        await suspend(passkey.id, passkey.userId, journeyId);
        throw refused(`counter ${newCounter} did not move past ${stored}: suspended`);
      }
      // Only forward: two assertions racing cannot both move it from the same value.
      const moved = await prisma.$executeRaw`
        UPDATE credentials
        SET data = jsonb_set(data, '{counter}', to_jsonb(${newCounter}::bigint)), updated_at = ${now()}
        WHERE id = ${passkey.id}
          AND ((data->>'counter')::bigint < ${newCounter} OR ${newCounter} = 0)`;
      if (moved !== 1) throw refused('counter raced');
      // A passkey with user verification (required) outranks a password or a code: lifts their locks.
      await liftSignInLocks(prisma, deps.keyring, passkey.userId);
      // The owner still has a factor: no reset of them goes ahead.
      await cancelFactorResets(prisma, passkey.userId, now());
      return { userId: passkey.userId, userVerified };
    },

    /**
     * Lifts a passkey's suspension, for the run's session (stepped up, checked live): its owner
     * says the counter going backwards was theirs (a device restored from a backup). The counter
     * starts again from what the passkey answers next.
     */
    async reinstatePasskey(input: {
      session: SessionRef;
      factor: string;
    }): Promise<{ reinstated: string }> {
      return prisma.$transaction(async (tx) => {
        const { userId } = await liveSession(tx, input.session);
        const passkey = await tx.credential.findFirst({
          where: { id: input.factor, userId, type: 'webauthn', confirmedAt: { not: null } },
        });
        const data = passkey?.data as unknown as PasskeyData | undefined;
        if (!passkey || !data?.suspendedAt) throw businessFailure('factor_not_enrolled');
        const { suspendedAt: _, ...rest } = data;
        await tx.credential.update({
          where: { id: passkey.id },
          data: { data: { ...rest, counter: 0 } },
        });
        return { reinstated: passkey.id };
      });
    },
  };
}
