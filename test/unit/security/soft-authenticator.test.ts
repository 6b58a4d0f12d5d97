import { type CBORType, decodeCBOR, encodeCBOR } from '@levischuck/tiny-cbor';
import {
  type GenerateAuthenticationOptionsOpts,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import {
  createSoftAuthenticator,
  type SoftAuthenticator,
  type SoftRegisterOptions,
} from '../../support/soft-authenticator.js';

// Everything below goes through the real @simplewebauthn/server: the point is that the soft
// authenticator's answers are ones a production RP would accept or refuse for the right reason.

const RP_ID = 'id.example.test';
const ORIGIN = 'https://id.example.test';
const USER_ID = new TextEncoder().encode('user-42');

async function creationOptions() {
  return generateRegistrationOptions({
    rpName: 'Parcours',
    rpID: RP_ID,
    userName: 'ada@example.test',
    userID: USER_ID,
  });
}

/** Registers one credential and returns what an RP would store for it. */
async function enrol(
  authenticator: SoftAuthenticator,
  options: Partial<Omit<SoftRegisterOptions, 'creationOptions'>> = {},
): Promise<WebAuthnCredential> {
  const creation = await creationOptions();
  const response = authenticator.register({
    creationOptions: creation,
    origin: ORIGIN,
    ...options,
  });
  const result = await verifyRegistrationResponse({
    response,
    expectedChallenge: creation.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
  });
  if (!result.verified) throw new Error('registration did not verify');
  return result.registrationInfo.credential;
}

async function requestFor(
  credential: WebAuthnCredential,
  extra: Partial<GenerateAuthenticationOptionsOpts> = {},
) {
  return generateAuthenticationOptions({
    rpID: RP_ID,
    allowCredentials: [{ id: credential.id, transports: credential.transports }],
    ...extra,
  });
}

/** Verifies an assertion as the server does, against the request it answers and the stored key. */
const verifyAgainst = (
  response: Parameters<typeof verifyAuthenticationResponse>[0]['response'],
  request: { challenge: string },
  credential: Parameters<typeof verifyAuthenticationResponse>[0]['credential'],
) =>
  verifyAuthenticationResponse({
    response,
    expectedChallenge: request.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential,
  });

describe('soft authenticator: registration', () => {
  it('verifies with "none" attestation and hands back the credential id and COSE public key', async () => {
    const authenticator = createSoftAuthenticator();
    const creation = await creationOptions();
    const response = authenticator.register({ creationOptions: creation, origin: ORIGIN });

    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: creation.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
    });

    expect(result.verified).toBe(true);
    if (!result.verified) return;
    const info = result.registrationInfo;
    expect(info.fmt).toBe('none');
    expect(info.credential.id).toBe(response.id);
    expect(info.credential.id).toBe(authenticator.credentials()[0]?.id);
    // A CBOR map of five entries: kty, alg, crv, x, y.
    expect(info.credential.publicKey[0]).toBe(0xa5);
    expect(info.credential.counter).toBe(0);
    expect(info.credential.transports).toEqual(['internal']);
    expect(info.userVerified).toBe(true);
    expect(info.rpID).toBe(RP_ID);
    expect(info.aaguid).toBe('00000000-0000-0000-0000-000000000000');
  });

  it('verifies a packed self attestation, signed by the credential key, and reports its AAGUID', async () => {
    const aaguid = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const authenticator = createSoftAuthenticator({ aaguid });
    const creation = await creationOptions();
    const response = authenticator.register({
      creationOptions: creation,
      origin: ORIGIN,
      attestation: 'packed-self',
    });

    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: creation.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
    });

    expect(result.verified).toBe(true);
    expect(result.registrationInfo?.fmt).toBe('packed');
    expect(result.registrationInfo?.aaguid).toBe('01020304-0506-0708-090a-0b0c0d0e0f10');
  });

  it('is not verified when one bit of the packed self attestation signature is flipped', async () => {
    const creation = await creationOptions();
    const response = createSoftAuthenticator().register({
      creationOptions: creation,
      origin: ORIGIN,
      attestation: 'packed-self',
    });
    // decodeCBOR refuses a Node Buffer (it checks for a plain Uint8Array prototype): copy first.
    const bytes = new Uint8Array(Buffer.from(response.response.attestationObject, 'base64url'));
    const attestationObject = decodeCBOR(bytes) as Map<string, CBORType>;
    const sig = (attestationObject.get('attStmt') as Map<string, CBORType>).get(
      'sig',
    ) as Uint8Array;
    sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
    response.response.attestationObject = Buffer.from(encodeCBOR(attestationObject)).toString(
      'base64url',
    );

    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: creation.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
    });
    expect(result.verified).toBe(false);
  });

  it('starts the counter at the value it is given', async () => {
    const credential = await enrol(createSoftAuthenticator(), { signCount: 7 });
    expect(credential.counter).toBe(7);
  });

  it('is refused when made on another origin', async () => {
    const creation = await creationOptions();
    const response = createSoftAuthenticator().register({
      creationOptions: creation,
      origin: 'https://evil.example.test',
    });
    await expect(
      verifyRegistrationResponse({
        response,
        expectedChallenge: creation.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
      }),
    ).rejects.toThrow(/Unexpected registration response origin/);
  });

  it('is refused when scoped to another RP ID', async () => {
    const creation = await creationOptions();
    const response = createSoftAuthenticator().register({
      creationOptions: creation,
      origin: ORIGIN,
      rpId: 'evil.example.test',
    });
    await expect(
      verifyRegistrationResponse({
        response,
        expectedChallenge: creation.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
      }),
    ).rejects.toThrow(/Unexpected RP ID hash/);
  });

  it('refuses to create a second credential when the RP excludes the one it holds', async () => {
    const authenticator = createSoftAuthenticator();
    const held = await enrol(authenticator);
    const creation = await generateRegistrationOptions({
      rpName: 'Parcours',
      rpID: RP_ID,
      userName: 'ada@example.test',
      userID: USER_ID,
      excludeCredentials: [{ id: held.id }],
    });
    expect(() => authenticator.register({ creationOptions: creation, origin: ORIGIN })).toThrow(
      /InvalidStateError/,
    );
  });
});

describe('soft authenticator: authentication', () => {
  it('verifies with the registered public key, and the counter moves by one each time', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator);

    for (const expected of [1, 2]) {
      const request = await requestFor(credential);
      const response = authenticator.authenticate({ requestOptions: request, origin: ORIGIN });
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: request.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential,
        requireUserVerification: true,
      });
      expect(result.verified).toBe(true);
      expect(result.authenticationInfo.newCounter).toBe(expected);
      expect(result.authenticationInfo.userVerified).toBe(true);
      credential.counter = result.authenticationInfo.newCounter;
    }
    expect(authenticator.credentials()[0]?.signCount).toBe(2);
  });

  it('finds a discoverable credential with empty allowCredentials and returns the user handle', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator);
    const request = await generateAuthenticationOptions({ rpID: RP_ID });

    const response = authenticator.authenticate({ requestOptions: request, origin: ORIGIN });
    const result = await verifyAgainst(response, request, credential);

    expect(result.verified).toBe(true);
    expect(response.id).toBe(credential.id);
    const userHandle = response.response.userHandle;
    expect(userHandle).toBeDefined();
    expect(Buffer.from(userHandle ?? '', 'base64url').toString()).toBe('user-42');
  });

  it('does not offer a non-discoverable credential without allowCredentials, nor a user handle', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator, { discoverable: false });
    const usernameless = await generateAuthenticationOptions({ rpID: RP_ID });
    expect(() =>
      authenticator.authenticate({ requestOptions: usernameless, origin: ORIGIN }),
    ).toThrow(/NotAllowedError/);

    const request = await requestFor(credential);
    const response = authenticator.authenticate({ requestOptions: request, origin: ORIGIN });
    expect(response.response.userHandle).toBeUndefined();
    const result = await verifyAgainst(response, request, credential);
    expect(result.verified).toBe(true);
  });

  it('does not verify against another credential public key (verified false, no throw)', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator);
    const other = await enrol(createSoftAuthenticator());
    const request = await requestFor(credential);
    const response = authenticator.authenticate({ requestOptions: request, origin: ORIGIN });

    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: request.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: { ...credential, publicKey: other.publicKey },
    });
    expect(result.verified).toBe(false);
  });

  it('is refused when made on another origin', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator);
    const request = await requestFor(credential);
    const response = authenticator.authenticate({
      requestOptions: request,
      origin: 'https://evil.example.test',
    });
    await expect(verifyAgainst(response, request, credential)).rejects.toThrow(
      /Unexpected authentication response origin/,
    );
  });

  it('is refused when scoped to another RP ID', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator);
    const request = await requestFor(credential);
    const response = authenticator.authenticate({
      requestOptions: request,
      origin: ORIGIN,
      rpId: 'evil.example.test',
    });
    await expect(verifyAgainst(response, request, credential)).rejects.toThrow(
      /Unexpected RP ID hash/,
    );
  });

  it('is refused when it answers another challenge', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator);
    const answered = await requestFor(credential);
    const issued = await requestFor(credential);
    const response = authenticator.authenticate({ requestOptions: answered, origin: ORIGIN });
    await expect(
      verifyAuthenticationResponse({
        response,
        expectedChallenge: issued.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential,
      }),
    ).rejects.toThrow(/Unexpected authentication response challenge/);
  });

  it('is refused without user verification when userVerification is required', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator);
    const request = await requestFor(credential, { userVerification: 'required' });
    const response = authenticator.authenticate({
      requestOptions: request,
      origin: ORIGIN,
      userVerified: false,
    });
    await expect(
      verifyAuthenticationResponse({
        response,
        expectedChallenge: request.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential,
        requireUserVerification: request.userVerification === 'required',
      }),
    ).rejects.toThrow(/User verification required/);
  });

  it('is accepted without user verification when it is only preferred, and says so', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator);
    const request = await requestFor(credential, { userVerification: 'preferred' });
    const response = authenticator.authenticate({
      requestOptions: request,
      origin: ORIGIN,
      userVerified: false,
    });
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: request.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential,
      // v14 defaults this to true whatever the options said: the RP must pass it explicitly.
      requireUserVerification: request.userVerification === 'required',
    });
    expect(result.verified).toBe(true);
    expect(result.authenticationInfo.userVerified).toBe(false);
  });
});

describe('soft authenticator: signature counter', () => {
  it('throws (rather than returning verified false) when a non-zero counter stands still or goes back', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator);
    const first = await requestFor(credential);
    const ok = await verifyAuthenticationResponse({
      response: authenticator.authenticate({ requestOptions: first, origin: ORIGIN }),
      expectedChallenge: first.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential,
    });
    const stored = { ...credential, counter: ok.authenticationInfo.newCounter };
    expect(stored.counter).toBe(1);

    // A clone replays the counter it had: equal is refused as well as lower.
    for (const signCount of [1, 0]) {
      const request = await requestFor(credential);
      const response = authenticator.authenticate({
        requestOptions: request,
        origin: ORIGIN,
        signCount,
      });
      await expect(
        verifyAuthenticationResponse({
          response,
          expectedChallenge: request.challenge,
          expectedOrigin: ORIGIN,
          expectedRPID: RP_ID,
          credential: stored,
        }),
      ).rejects.toThrow(`Response counter value ${signCount} was lower than expected 1`);
    }
  });

  it('accepts a counter that stays at zero, as authenticators without a counter report it', async () => {
    const authenticator = createSoftAuthenticator();
    const credential = await enrol(authenticator);
    for (let i = 0; i < 2; i++) {
      const request = await requestFor(credential);
      const result = await verifyAuthenticationResponse({
        response: authenticator.authenticate({
          requestOptions: request,
          origin: ORIGIN,
          signCount: 0,
        }),
        expectedChallenge: request.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential,
      });
      expect(result.verified).toBe(true);
      expect(result.authenticationInfo.newCounter).toBe(0);
    }
  });
});
