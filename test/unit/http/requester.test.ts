import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { requesterNetwork } from '../../../src/http/network-addresses.js';
import { createRequesterIds } from '../../../src/http/requester.js';
import { createKeyring, generateKeySpec } from '../../../src/security/keyring.js';
import { splitPseudonyms } from '../../../src/security/pseudonyms.js';

const old = generateKeySpec('k1');
const requesterOf = createRequesterIds(createKeyring(old));
const from = (ip: string) => requesterOf({ ip } as Request);

describe('who asks: one requester per client network (ASVS 5.0 V2.4.1)', () => {
  it('counts an IPv4 client by its address, and an IPv4-mapped IPv6 address as that IPv4 address', () => {
    expect(requesterNetwork('198.51.100.7')).toBe('198.51.100.7');
    expect(requesterNetwork('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(from('::ffff:198.51.100.7')).toBe(from('198.51.100.7'));
    expect(from('198.51.100.8')).not.toBe(from('198.51.100.7'));
  });

  it('counts an IPv6 client by its /56, as the rate limiter does: rotating addresses inside it is one requester', () => {
    expect(requesterNetwork('2001:db8:1:2::1')).toBe('2001:db8:1::/56');
    const one = from('2001:db8:1:2::1');
    // Another address of the same /64, another /64 of the same /56: the same requester.
    expect(from('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe(one);
    expect(from('2001:db8:1:ff::9')).toBe(one);
    expect(from('2001:db8:1:100::1')).not.toBe(one);
  });

  it('names a requester by a keyed hash, never the address; after a key rotation under every key, the active first', () => {
    expect(from('198.51.100.7')).toMatch(/^[0-9a-f]{32}$/);
    const rotated = createRequesterIds(createKeyring(`${generateKeySpec('k2')},${old}`));
    const pseudonyms = splitPseudonyms(rotated({ ip: '198.51.100.7' } as Request));
    expect(pseudonyms).toHaveLength(2);
    expect(pseudonyms[0]).not.toBe(from('198.51.100.7'));
    expect(pseudonyms[1]).toBe(from('198.51.100.7'));
  });
});
