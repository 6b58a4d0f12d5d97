import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

// randomInt needs max - min < 2^48, so one draw covers at most 14 digits.
const MAX_DIGITS = 14;

/** `bytes` CSPRNG bytes as base64url (32 bytes = 256 bits, no padding). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 of a UTF-8 string, lower-case hex. For storing high-entropy tokens (never passwords). */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** HMAC-SHA256 of a UTF-8 string, lower-case hex. For low-entropy secrets (codes) so a leaked table cannot be brute-forced offline. */
export function hmacSha256Hex(key: Uint8Array | string, s: string): string {
  return createHmac('sha256', key).update(s, 'utf8').digest('hex');
}

/** `n` uniformly random decimal digits, zero-padded (one-time codes). */
export function randomDigits(n = 6): string {
  if (!Number.isInteger(n) || n < 1 || n > MAX_DIGITS)
    throw new RangeError(`randomDigits: n must be an integer from 1 to ${MAX_DIGITS}`);
  return randomInt(0, 10 ** n)
    .toString()
    .padStart(n, '0');
}

/**
 * Constant-time equality of two hex strings (compared as written, so keep both lower-case).
 * Strings of different lengths are unequal; only the length can leak, never the content.
 */
export function safeEqualHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
