import { describe, expect, it } from 'vitest';
import {
  hmacSha256Hex,
  randomDigits,
  randomToken,
  safeEqualHex,
  sha256Hex,
} from '../../../src/security/tokens.js';

describe('randomToken', () => {
  it('gives 256 bits as unpadded base64url by default', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('never repeats (ASVS 3.2.2: at least 64 bits of entropy)', () => {
    expect(new Set(Array.from({ length: 1000 }, () => randomToken(16))).size).toBe(1000);
  });

  it('takes the number of random bytes', () => {
    expect(Buffer.from(randomToken(18), 'base64url')).toHaveLength(18);
  });
});

describe('sha256Hex / hmacSha256Hex', () => {
  it('match the FIPS 180-2 and RFC 4231 test vectors', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hmacSha256Hex('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('randomDigits', () => {
  it('gives six digits by default, zero-padded', () => {
    const codes = Array.from({ length: 2000 }, () => randomDigits());
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(codes.some((c) => c.startsWith('0'))).toBe(true);
  });

  it('draws every digit about equally often', () => {
    const draws = 20_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const digit = randomDigits(1);
      counts.set(digit, (counts.get(digit) ?? 0) + 1);
    }
    expect(counts.size).toBe(10);
    // ±15% of the expected 2000 per digit: far outside chance for a uniform source.
    for (const count of counts.values())
      expect(Math.abs(count - draws / 10)).toBeLessThan(draws / 10 / 6.6);
  });

  it.each([0, 15, 2.5])('refuses a length of %s', (n) => {
    expect(() => randomDigits(n)).toThrow(RangeError);
  });
});

describe('safeEqualHex', () => {
  it('compares in constant time and is length-safe', () => {
    const a = sha256Hex('x');
    expect(safeEqualHex(a, sha256Hex('x'))).toBe(true);
    expect(safeEqualHex(a, sha256Hex('y'))).toBe(false);
    expect(safeEqualHex(a, a.slice(0, 10))).toBe(false);
    expect(safeEqualHex('', '')).toBe(true);
  });
});
