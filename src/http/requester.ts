import type { Request } from 'express';
import type { Keyring } from '../security/keyring.js';
import { hmacSha256Hex } from '../security/tokens.js';

/**
 * Who is asking, for limits that count per requester (codes sent to one address): a keyed hash
 * of the client's address (`req.ip`, which trusts only the proxies TRUST_PROXY names), so runs and
 * the database carry a pseudonym, never the address itself.
 */
export function createRequesterIds(keyring: Keyring) {
  const key = keyring.derive('requester').active;
  return (req: Request): string => hmacSha256Hex(key, req.ip ?? '').slice(0, 32);
}
