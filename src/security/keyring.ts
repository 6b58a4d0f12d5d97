import { hkdfSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreateSecretFile } from './secret-file.js';

const KEY_BYTES = 32;
// A kid travels in every envelope and payload header: short, printable, unambiguous.
const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;

/** Keys derived for one purpose: the active one encrypts/signs, every listed one decrypts/verifies. */
export interface DerivedKeys {
  activeKid: string;
  /** Every kid, the active one first, then as the spec lists them. */
  kids: readonly string[];
  key(kid: string): Buffer | undefined;
  active: Buffer;
}

/** Master keys parsed from a key spec; derive one independent key set per purpose. */
export interface Keyring {
  activeKid: string;
  derive(purpose: string): DerivedKeys;
}

/** Thrown when a key spec is malformed; the message names the variable and the key at fault. */
export class KeySpecError extends Error {
  readonly code = 'invalid_key_spec';
  override name = 'KeySpecError';
}

/**
 * Parses `"kid1:BASE64,kid0:BASE64"` (each key exactly 32 bytes; the first is active, the
 * others are still accepted for decrypt/verify so keys can rotate) and returns a keyring
 * that derives per-purpose keys with HKDF-SHA256 (info `parcours/${purpose}`).
 * `source` names the setting in error messages.
 */
export function createKeyring(spec: string, source = 'PARCOURS_KEYS'): Keyring {
  const masters = parseKeySpec(spec, source);
  const [activeKid] = [...masters.keys()];
  if (activeKid === undefined)
    throw new KeySpecError(`${source}: no key given (expected "kid:BASE64[,kid:BASE64...]")`);
  const derived = new Map<string, DerivedKeys>();

  const derive = (purpose: string): DerivedKeys => {
    const known = derived.get(purpose);
    if (known) return known;
    const keys = new Map<string, Buffer>();
    for (const [kid, master] of masters) {
      keys.set(
        kid,
        Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `parcours/${purpose}`, KEY_BYTES)),
      );
    }
    const set: DerivedKeys = {
      activeKid,
      kids: [...keys.keys()],
      key: (kid) => keys.get(kid),
      active: keys.get(activeKid) as Buffer,
    };
    derived.set(purpose, set);
    return set;
  };

  return { activeKid, derive };
}

function parseKeySpec(spec: string, source: string): Map<string, Buffer> {
  const masters = new Map<string, Buffer>();
  for (const entry of spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const colon = entry.indexOf(':');
    const kid = colon === -1 ? entry : entry.slice(0, colon);
    const encoded = colon === -1 ? '' : entry.slice(colon + 1).trim();
    if (!KID_PATTERN.test(kid)) {
      throw new KeySpecError(
        `${source}: key id '${kid}' must be 1-64 characters of A-Z a-z 0-9 _ - (entries look like "kid:BASE64")`,
      );
    }
    if (masters.has(kid)) throw new KeySpecError(`${source}: key id '${kid}' appears twice`);
    const key = BASE64_PATTERN.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
    if (key?.length !== KEY_BYTES)
      throw new KeySpecError(`${source}: key '${kid}' must be ${KEY_BYTES} bytes base64`);
    masters.set(kid, key);
  }
  return masters;
}

/** A fresh spec with one random 32-byte key, for embedded mode. */
export function generateKeySpec(kid = 'k1'): string {
  return `${kid}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/**
 * Reads the key spec kept in `${dataDir}/keys`, creating it (mode 0600) with a fresh key
 * when missing. Used in embedded mode when PARCOURS_KEYS is unset.
 */
export function loadOrCreateKeySpec(dataDir: string): Promise<string> {
  return loadOrCreateSecretFile(join(dataDir, 'keys'), () => generateKeySpec());
}
