import { z } from 'zod';

/**
 * The canonical form an email address is stored and compared in: trimmed, Unicode NFC,
 * lower-cased, so the same mailbox is always the same identifier.
 */
export const canonicalEmail = (value: string): string =>
  value.trim().normalize('NFC').toLowerCase();

// A copy: zod's own regex is shared and frozen in the workflow sandbox (workers/workflow/preload.ts),
// and zod resets `lastIndex` on the pattern it checks.
const emailPattern = new RegExp(z.regexes.unicodeEmail);

/** An email address field, canonicalised; internationalised addresses are accepted (RFC 6531). */
export const emailField = () =>
  z.string().overwrite(canonicalEmail).email({ pattern: emailPattern }).max(254);
