import { isIP } from 'node:net';

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
