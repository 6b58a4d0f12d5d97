import { z } from 'zod';

// Imported by pure journey code too: zod only, no node:* modules.

/** Canonical form used to look an address up: trimmed, Unicode NFC, lower-case. */
export function canonicalEmail(s: string): string {
  return s.trim().normalize('NFC').toLowerCase();
}

/** An email address as typed, trimmed, at most 254 characters (RFC 5321 path limit). */
export function emailAddress() {
  // A check rather than z.email(): z.email() validates before .trim() would run.
  return z.string().trim().max(254).check(z.email());
}
