import { z } from 'zod';

/**
 * An email address in canonical form (trimmed, Unicode NFC, lower-cased) so that the same mailbox
 * is always the same identifier; internationalised addresses are accepted.
 */
export const emailField = () =>
  z
    .string()
    .trim()
    .normalize('NFC')
    .toLowerCase()
    .email({ pattern: z.regexes.unicodeEmail })
    .max(254);
