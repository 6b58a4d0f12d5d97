import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { type CBORType, encodeCBOR } from '@levischuck/tiny-cbor';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * A software WebAuthn authenticator (plus the browser's part of the ceremony) for tests: it makes
 * real P-256 keys and really signs, so what it answers goes through the same verification as a
 * phone or a security key would, with nothing in the verifier mocked.
 */

/** COSE algorithm identifier for ES256 (ECDSA P-256 with SHA-256), the only one this speaks. */
const ES256 = -7;

// authenticatorData flag bits (WebAuthn §6.1).
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export type SoftAttestation = 'none' | 'packed-self';

export interface SoftRegisterOptions {
  /** What generateRegistrationOptions returned, as the browser would receive it. */
  creationOptions: PublicKeyCredentialCreationOptionsJSON;
  /** Written verbatim into clientDataJSON: pass a wrong one to get a response the RP must refuse. */
  origin: string;
  /** Hashed verbatim into authenticatorData; defaults to creationOptions.rp.id. */
  rpId?: string;
  /** Sets the UV flag; default true (a platform authenticator that asked for a fingerprint). */
  userVerified?: boolean;
  /** Keep the user handle so an assertion without allowCredentials finds it; default true. */
  discoverable?: boolean;
  /** 'packed-self' signs the attestation with the credential key itself; default 'none'. */
  attestation?: SoftAttestation;
  /** Counter reported at registration and stored as the starting point; default 0. */
  signCount?: number;
}

export interface SoftAuthenticateOptions {
  /** What generateAuthenticationOptions returned, as the browser would receive it. */
  requestOptions: PublicKeyCredentialRequestOptionsJSON;
  /** Written verbatim into clientDataJSON. */
  origin: string;
  /**
   * Hashed verbatim into authenticatorData; defaults to requestOptions.rpId. Credential selection
   * still follows the RP ID the RP asked for, so a wrong value here yields a response, not an error.
   */
  rpId?: string;
  /** Sets the UV flag; default true. */
  userVerified?: boolean;
  /** Answer with this credential, skipping selection (and its RP ID scoping). */
  credentialId?: string;
  /**
   * Report this counter instead of incrementing, as a cloned authenticator would. The stored
   * counter does not move: the original device keeps its own count.
   */
  signCount?: number;
}

export interface SoftCredentialInfo {
  /** base64url credential ID, as the RP sees it. */
  id: string;
  rpId: string;
  /** base64url user handle, kept only for discoverable credentials. */
  userHandle: string | undefined;
  signCount: number;
}

export interface SoftAuthenticator {
  register(options: SoftRegisterOptions): RegistrationResponseJSON;
  authenticate(options: SoftAuthenticateOptions): AuthenticationResponseJSON;
  credentials(): SoftCredentialInfo[];
}

interface StoredCredential {
  id: Buffer;
  rpId: string;
  userHandle: string | undefined;
  privateKey: KeyObject;
  signCount: number;
}

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();
const b64url = (data: Uint8Array): string => Buffer.from(data).toString('base64url');

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

/** ECDSA in ASN.1 DER, which is what WebAuthn carries for ES256 (not raw r||s as in JOSE). */
function es256(privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
}

/** The credential public key as a COSE_Key: EC2 (1: 2), alg ES256 (3: -7), crv P-256 (-1: 1). */
function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) throw new Error('P-256 public key exported without coordinates');
  // Integer labels need a Map: a plain object would give string keys, which COSE does not have.
  const key = new Map<string | number, CBORType>([
    [1, 2],
    [3, ES256],
    [-1, 1],
    [-2, new Uint8Array(Buffer.from(jwk.x, 'base64url'))],
    [-3, new Uint8Array(Buffer.from(jwk.y, 'base64url'))],
  ]);
  return encodeCBOR(key);
}

function clientData(
  type: 'webauthn.create' | 'webauthn.get',
  challenge: string,
  origin: string,
): Buffer {
  // Serialised once: the signature covers the hash of these exact bytes, and the RP re-hashes them.
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

function flags(userVerified: boolean, attested: boolean): number {
  return FLAG_UP | (userVerified ? FLAG_UV : 0) | (attested ? FLAG_AT : 0);
}

export function createSoftAuthenticator(options: { aaguid?: Uint8Array } = {}): SoftAuthenticator {
  // An all-zero AAGUID is what authenticators send when they do not disclose their model.
  const aaguid = Buffer.from(options.aaguid ?? new Uint8Array(16));
  if (aaguid.length !== 16) throw new Error(`AAGUID must be 16 bytes, got ${aaguid.length}`);
  const store: StoredCredential[] = [];

  function register(opts: SoftRegisterOptions): RegistrationResponseJSON {
    const { creationOptions, origin } = opts;
    const rpId = opts.rpId ?? creationOptions.rp.id;
    if (!rpId) throw new Error('creationOptions.rp.id is missing and no rpId was given');
    const userVerified = opts.userVerified ?? true;
    const signCount = opts.signCount ?? 0;

    // Refuse what a real authenticator refuses, so a test cannot pass on an impossible response.
    if (!creationOptions.pubKeyCredParams.some((p) => p.alg === ES256)) {
      throw new Error('NotSupportedError: the RP does not accept ES256');
    }
    const excluded = new Set((creationOptions.excludeCredentials ?? []).map((c) => c.id));
    if (store.some((c) => c.rpId === rpId && excluded.has(b64url(c.id)))) {
      throw new Error('InvalidStateError: this authenticator already holds an excluded credential');
    }

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = randomBytes(32);
    const credIdLength = Buffer.alloc(2);
    credIdLength.writeUInt16BE(id.length);

    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([flags(userVerified, true)]),
      uint32(signCount),
      aaguid,
      credIdLength,
      id,
      coseKey(publicKey),
    ]);
    const clientDataJSON = clientData('webauthn.create', creationOptions.challenge, origin);

    const attStmt = new Map<string | number, CBORType>();
    const attestation = opts.attestation ?? 'none';
    if (attestation === 'packed-self') {
      // Self attestation: no x5c, the credential key vouches for itself over the same bytes an
      // assertion would sign.
      attStmt.set('alg', ES256);
      attStmt.set(
        'sig',
        new Uint8Array(es256(privateKey, Buffer.concat([authData, sha256(clientDataJSON)]))),
      );
    }
    const attestationObject = encodeCBOR(
      new Map<string | number, CBORType>([
        ['fmt', attestation === 'none' ? 'none' : 'packed'],
        ['attStmt', attStmt],
        ['authData', new Uint8Array(authData)],
      ]),
    );

    const discoverable = opts.discoverable ?? true;
    store.push({
      id,
      rpId,
      userHandle: discoverable ? creationOptions.user.id : undefined,
      privateKey,
      signCount,
    });

    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        // The WebAuthn L3 conveniences browsers add; the RP may read them instead of the CBOR.
        authenticatorData: b64url(authData),
        publicKeyAlgorithm: ES256,
        publicKey: b64url(publicKey.export({ format: 'der', type: 'spki' })),
        transports: ['internal'],
      },
    };
  }

  function select(opts: SoftAuthenticateOptions, requestedRpId: string): StoredCredential {
    if (opts.credentialId !== undefined) {
      const picked = store.find((c) => b64url(c.id) === opts.credentialId);
      if (!picked) throw new Error(`NotAllowedError: no credential ${opts.credentialId}`);
      return picked;
    }
    const allowed = (opts.requestOptions.allowCredentials ?? []).map((c) => c.id);
    const found =
      allowed.length > 0
        ? store.find((c) => c.rpId === requestedRpId && allowed.includes(b64url(c.id)))
        : store.find((c) => c.rpId === requestedRpId && c.userHandle !== undefined);
    if (!found) throw new Error(`NotAllowedError: no usable credential for ${requestedRpId}`);
    return found;
  }

  function authenticate(opts: SoftAuthenticateOptions): AuthenticationResponseJSON {
    const { requestOptions, origin } = opts;
    const requestedRpId = requestOptions.rpId ?? opts.rpId;
    const rpId = opts.rpId ?? requestOptions.rpId;
    if (!rpId || !requestedRpId)
      throw new Error('requestOptions.rpId is missing and no rpId given');
    const credential = select(opts, requestedRpId);

    let signCount: number;
    if (opts.signCount === undefined) {
      credential.signCount += 1;
      signCount = credential.signCount;
    } else {
      signCount = opts.signCount;
    }

    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([flags(opts.userVerified ?? true, false)]),
      uint32(signCount),
    ]);
    const clientDataJSON = clientData('webauthn.get', requestOptions.challenge, origin);
    const signature = es256(
      credential.privateKey,
      Buffer.concat([authData, sha256(clientDataJSON)]),
    );

    const id = b64url(credential.id);
    return {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(credential.userHandle === undefined ? {} : { userHandle: credential.userHandle }),
      },
    };
  }

  function credentials(): SoftCredentialInfo[] {
    return store.map((c) => ({
      id: b64url(c.id),
      rpId: c.rpId,
      userHandle: c.userHandle,
      signCount: c.signCount,
    }));
  }

  return { register, authenticate, credentials };
}
