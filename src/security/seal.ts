import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DerivedKeys } from './keyring.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Why an envelope could not be opened: codes of the error catalogue (src/errors/catalogue.ts). */
export type SealErrorCode = 'seal_malformed' | 'seal_unknown_key' | 'seal_tampered';

/** Thrown by `openBytes`/`openJson` when an envelope is malformed, names an unknown key, or fails authentication. */
export class SealError extends Error {
  override name = 'SealError';
  constructor(
    readonly code: SealErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// Results are Buffer<ArrayBuffer> (what Buffer.concat makes) so they fit Prisma's Bytes fields as is.

/**
 * Encrypts with AES-256-GCM under the active key. Envelope:
 * `version(1) | kidLength(1) | kid | iv(12) | ciphertext | tag(16)`.
 * `aad` binds the envelope to a context (e.g. a user id) without storing it.
 */
export function sealBytes(
  keys: DerivedKeys,
  plaintext: Uint8Array,
  aad?: string,
): Buffer<ArrayBuffer> {
  const header = envelopeHeader(keys.activeKid);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.active, iv);
  cipher.setAAD(additionalData(header, aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, ciphertext, cipher.getAuthTag()]);
}

/** Decrypts an envelope from `sealBytes` with the key its kid names, so older keys still open after rotation. */
export function openBytes(
  keys: DerivedKeys,
  envelope: Uint8Array,
  aad?: string,
): Buffer<ArrayBuffer> {
  const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const kidLength = bytes[1] ?? 0;
  const headerLength = 2 + kidLength;
  if (
    bytes[0] !== VERSION ||
    kidLength === 0 ||
    bytes.length < headerLength + IV_BYTES + TAG_BYTES
  ) {
    throw new SealError('seal_malformed', 'sealed envelope is malformed or of an unknown version');
  }
  const header = bytes.subarray(0, headerLength);
  const kid = bytes.toString('utf8', 2, headerLength);
  const key = keys.key(kid);
  if (!key) throw new SealError('seal_unknown_key', `sealed envelope names unknown key '${kid}'`);
  const iv = bytes.subarray(headerLength, headerLength + IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(header, aad));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([
      decipher.update(bytes.subarray(headerLength + IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new SealError(
      'seal_tampered',
      'sealed envelope failed authentication (tampered, wrong key or wrong context)',
    );
  }
}

/** `sealBytes` of a value's JSON. */
export function sealJson(keys: DerivedKeys, value: unknown, aad?: string): Buffer<ArrayBuffer> {
  return sealBytes(keys, Buffer.from(JSON.stringify(value), 'utf8'), aad);
}

/** `openBytes` then `JSON.parse`; the caller vouches for the type (it was authenticated, not validated). */
export function openJson<T = unknown>(keys: DerivedKeys, envelope: Uint8Array, aad?: string): T {
  return JSON.parse(openBytes(keys, envelope, aad).toString('utf8')) as T;
}

function envelopeHeader(kid: string): Buffer {
  const kidBytes = Buffer.from(kid, 'utf8');
  return Buffer.concat([Buffer.from([VERSION, kidBytes.length]), kidBytes]);
}

// The header is authenticated too, so version and kid cannot be swapped unnoticed.
function additionalData(header: Buffer, aad: string | undefined): Buffer {
  return Buffer.concat([header, Buffer.from(aad ?? '', 'utf8')]);
}
