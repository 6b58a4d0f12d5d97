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
import type { PrismaClient } from '../../db/prisma.js';
import { businessFailure } from '../../engine/journey-error.js';
import type { ActivityDeps } from '../deps.js';
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
}

const LOCALHOST = { rpId: 'localhost', rpName: 'Parcours', origins: ['http://localhost:3000'] };

/**
 * Passkeys (WebAuthn, @simplewebauthn/server): registration and authentication, discoverable
 * credentials included. Every challenge is single use and bound to the journey run that asked for
 * it; the origin and RP ID come from configuration and are checked in every ceremony; user
 * verification is required, so a passkey proves two factors (something you have, and a PIN or
 * biometric: aal2, amr `hwk` and `user`). A signature counter that goes backwards suspends the
 * passkey (it may have been cloned) and is refused.
 */
export function passkeyActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  const rp = deps.webauthn ?? LOCALHOST;

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

  const refused = (error: unknown) =>
    businessFailure('passkey_refused', {
      reason: error instanceof Error ? error.message.slice(0, 200) : 'not verified',
    });

  return {
    /** Options for the browser's navigator.credentials.create(): a discoverable passkey. */
    async beginPasskeyRegistration(input: {
      journeyId: string;
      userId: string;
    }): Promise<{ options: PublicKeyCredentialCreationOptionsJSON }> {
      const [email, existing] = await Promise.all([
        prisma.identifier.findFirst({
          where: { userId: input.userId, type: 'email' },
          orderBy: { createdAt: 'asc' },
        }),
        passkeysOf(prisma, input.userId),
      ]);
      const options = await generateRegistrationOptions({
        rpName: rp.rpName,
        rpID: rp.rpId,
        userName: email?.value ?? input.userId,
        userID: new TextEncoder().encode(input.userId),
        attestationType: 'none',
        excludeCredentials: existing.flatMap((passkey) =>
          passkey.externalId ? [{ id: passkey.externalId }] : [],
        ),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      await rememberChallenge(input.journeyId, 'registration', options.challenge);
      return { options };
    },

    /** Checks the browser's answer and keeps the passkey (its public key) as a factor. */
    async finishPasskeyRegistration(input: {
      journeyId: string;
      userId: string;
      credential: RegistrationResponseJSON;
    }): Promise<{ passkeyId: string; firstFactor: boolean }> {
      const expectedChallenge = await takeChallenge(input.journeyId, 'registration');
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
      const others = await prisma.credential.count({
        where: {
          userId: input.userId,
          type: { in: ['totp', 'webauthn', 'recovery_code'] },
          confirmedAt: { not: null },
        },
      });
      const data: PasskeyData = {
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        ...(credential.transports
          ? { transports: credential.transports as AuthenticatorTransport[] }
          : {}),
        aaguid,
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
      };
      const existing = await prisma.credential.findUnique({ where: { externalId: credential.id } });
      // A retry of this very call finds the passkey it kept; anyone else's is refused.
      if (existing && existing.userId !== input.userId)
        throw businessFailure('passkey_refused', { reason: 'credential_in_use' });
      const kept =
        existing ??
        (await prisma.credential.create({
          data: {
            id: randomUUID(),
            userId: input.userId,
            type: 'webauthn',
            externalId: credential.id,
            data: { ...data },
            confirmedAt: now(),
          },
        }));
      return { passkeyId: kept.id, firstFactor: others === 0 };
    },

    /**
     * Options for navigator.credentials.get(): for an account's passkeys (a second factor), or for
     * any discoverable passkey of this RP (sign-in without typing an address).
     */
    async beginPasskeySignIn(input: {
      journeyId: string;
      userId?: string;
    }): Promise<{ options: PublicKeyCredentialRequestOptionsJSON }> {
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
      await rememberChallenge(input.journeyId, 'authentication', options.challenge);
      return { options };
    },

    /**
     * Checks an assertion against the run's challenge and the passkey's public key. Whose passkey
     * it is comes from the credential (and must be `userId`'s when one is expected). The counter
     * is moved forward in a conditional update; one that goes backwards suspends the passkey.
     */
    async verifyPasskey(input: {
      journeyId: string;
      credential: AuthenticationResponseJSON;
      userId?: string;
    }): Promise<{ userId: string; userVerified: boolean }> {
      const expectedChallenge = await takeChallenge(input.journeyId, 'authentication');
      const passkey = await prisma.credential.findUnique({
        where: { externalId: input.credential.id },
      });
      if (
        passkey?.type !== 'webauthn' ||
        !passkey.confirmedAt ||
        (input.userId !== undefined && passkey.userId !== input.userId)
      )
        throw businessFailure('passkey_refused', { reason: 'unknown_credential' });
      const data = passkey.data as unknown as PasskeyData;
      if (data.suspendedAt) throw businessFailure('passkey_suspended');
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
            counter: data.counter,
            ...(data.transports ? { transports: data.transports } : {}),
          },
          requireUserVerification: true,
        });
      } catch (error) {
        if (error instanceof Error && /counter value/i.test(error.message)) {
          // W3C WebAuthn §6.1.1: a counter that did not move forward signals a cloned key.
          await prisma.credential.update({
            where: { id: passkey.id },
            data: { data: { ...data, suspendedAt: now().toISOString() } },
          });
          throw businessFailure('passkey_suspended');
        }
        throw refused(error);
      }
      if (!verification.verified) throw refused(undefined);
      const { newCounter, userVerified } = verification.authenticationInfo;
      // Only forward: two assertions racing cannot both move it from the same value.
      const moved = await prisma.$executeRaw`
        UPDATE credentials
        SET data = jsonb_set(data, '{counter}', to_jsonb(${newCounter}::bigint)), updated_at = ${now()}
        WHERE id = ${passkey.id}
          AND ((data->>'counter')::bigint < ${newCounter} OR ${newCounter} = 0)`;
      if (moved !== 1) throw businessFailure('passkey_refused', { reason: 'counter_raced' });
      // A passkey with user verification (required) outranks a password or a code: lifts their locks.
      await liftSignInLocks(prisma, deps.keyring, passkey.userId);
      return { userId: passkey.userId, userVerified };
    },
  };
}
