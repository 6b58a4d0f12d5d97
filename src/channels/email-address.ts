// What a mailbox address may look like, and the form it is compared in: pure, so the journey kit's
// email field (inside Temporal's sandbox) and the Node-side address handling share one rule.

/**
 * The canonical form an email address is compared in: trimmed, Unicode NFC, lower-cased, so the
 * same mailbox is always the same identifier. (The step API also stores the domain as its IDNA
 * A-label: `toALabelEmail`, Node-side.)
 */
export const canonicalEmail = (value: string): string =>
  value.trim().normalize('NFC').toLowerCase();

// RFC 5322 atext, and beyond ASCII (RFC 6531) letters, marks and digits only: a dot-atom. What is
// left out is what mail software reads as something else: display names, lists, comments, quoted
// local parts, routes, spaces. Our own regexes: zod's are frozen in the workflow sandbox.
const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\p{L}\\p{M}\\p{N}-]+";
const localPart = new RegExp(`^${atom}(?:\\.${atom})*$`, 'u');
// Host name labels: letters, marks and digits, inner hyphens (a U-label or its A-label).
const label = '[\\p{L}\\p{M}\\p{N}](?:[\\p{L}\\p{M}\\p{N}-]{0,61}[\\p{L}\\p{M}\\p{N}])?';
const domainPart = new RegExp(`^(?:${label}\\.)+${label}$`, 'u');
// Control and invisible format characters (bidi overrides, zero-width joiners): nothing a person sees.
const invisible = /[\p{Cc}\p{Cf}]/u;

/** Why an address is refused, or undefined for a plain mailbox address (canonical form assumed). */
export function emailRefusal(value: string): string | undefined {
  if (invisible.test(value)) return 'An email address cannot hold control or invisible characters';
  if (value.normalize('NFKC') !== value)
    return 'Write the address with ordinary characters (no full-width letters, ligatures or the like)';
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (at < 1 || local.length > 64 || !localPart.test(local) || !domainPart.test(domain))
    return 'Enter an email address like name@example.com';
  return undefined;
}
