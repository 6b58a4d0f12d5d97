import { z } from 'zod';

/**
 * The canonical form an email address is stored and compared in: trimmed, Unicode NFC,
 * lower-cased, so the same mailbox is always the same identifier.
 */
export const canonicalEmail = (value: string): string =>
  value.trim().normalize('NFC').toLowerCase();

/** An email address field, canonicalised; internationalised addresses are accepted (RFC 6531). */
export const emailField = () =>
  z.string().overwrite(canonicalEmail).email({ pattern: z.regexes.unicodeEmail }).max(254);
