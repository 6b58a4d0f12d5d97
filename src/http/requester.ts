import type { Request } from 'express';
import type { Keyring } from '../security/keyring.js';
import { joinPseudonyms, pseudonymsOf } from '../security/pseudonyms.js';
import { requesterNetwork } from './network-addresses.js';

/**
 * Who is asking, for every limit that counts per requester (codes sent to one address, sign-in
 * failures): a keyed hash of the client's network (an IPv4 address, an IPv6 /56, as the rate
 * limiter counts it; from `req.ip`, which trusts only the proxies TRUST_PROXY names), so runs and
 * the database carry a pseudonym, never the address itself. One pseudonym per key of the keyring,
 * the active one first: counts kept under an older key are still found after a rotation.
 */
export function createRequesterIds(keyring: Keyring) {
  const keys = keyring.derive('requester');
  return (req: Request): string =>
    joinPseudonyms(pseudonymsOf(keys, requesterNetwork(req.ip ?? ''), 32));
}
