import { isIP } from 'node:net';
import { ipKeyGenerator } from 'express-rate-limit';

/** An IPv6 client is counted by its /56: what one customer's site is given (RIPE-690). */
export const REQUESTER_IPV6_PREFIX = 56;

/**
 * The network every per-requester limit counts a client by (rate limits, codes, sign-in failures):
 * an IPv4 address, or an IPv6 address's /56, since one site holds billions of IPv6 addresses and
 * can rotate through them. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is the IPv4 address.
 */
export function requesterNetwork(address: string): string {
  return ipKeyGenerator(address, REQUESTER_IPV6_PREFIX);
}

/**
 * Whether an address is this machine's own: 127.0.0.0/8, ::1, or an IPv4 loopback address written
 * as IPv6 (::ffff:127.x.x.x). `localhost` counts for a configured host name, never for a peer.
 */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === 'localhost') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(address) === 6 && /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(address);
}

// proxy-addr's named ranges, as Express's `trust proxy` takes them.
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** A proxy as `trust proxy` names one: an IP address, a CIDR, or a named range. */
export function isProxyAddress(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^[0-9]{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}
