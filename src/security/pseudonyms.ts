import type { DerivedKeys } from './keyring.js';
import { hmacSha256Hex } from './tokens.js';

/**
 * Keyed pseudonyms of a value (an address, a client's network), one under each key of the set, the
 * active key's first. Counts kept under a pseudonym survive a key rotation this way: what was
 * counted under an older key is found by its older pseudonym and moved under the active one.
 * Not a pseudonym under a key that never rotates: 2^32 IPv4 networks are quickly tried, so whoever
 * got that key could name every requester for good; a rotation must move them to the new key.
 */
export function pseudonymsOf(keys: DerivedKeys, value: string, length = 64): string[] {
  return keys.kids.map((kid) => hmacSha256Hex(keys.key(kid) as Buffer, value).slice(0, length));
}

// Hex never holds a comma: the list travels as one string (a run's `requester`).
const SEPARATOR = ',';

/** A requester as runs carry it: its pseudonyms in one string, the active key's first. */
export const joinPseudonyms = (pseudonyms: readonly string[]) => pseudonyms.join(SEPARATOR);

/** The pseudonyms of a requester a run carries: the active key's first, then the older keys'. */
export const splitPseudonyms = (requester: string) => requester.split(SEPARATOR);
