import { domainToASCII } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import { canonicalEmail, emailRefusal } from './email-address.js';

/**
 * An email address as it is stored: canonical (see canonicalEmail) with its domain as an IDNA
 * A-label (`bücher.example` → `xn--bcher-kva.example`, UTS #46), so one domain has one spelling
 * and mail software never converts it again. Undefined when the domain is not a valid IDN or the
 * address is not a plain mailbox.
 */
export function storedEmail(value: string): string | undefined {
  const canonical = canonicalEmail(value);
  if (emailRefusal(canonical)) return undefined;
  const at = canonical.lastIndexOf('@');
  const domain = domainToASCII(canonical.slice(at + 1));
  if (!domain) return undefined;
  const stored = `${canonical.slice(0, at)}@${domain}`;
  return emailRefusal(stored) ? undefined : stored;
}

/** A recipient refused before sending: the mailer would read it as another address, or several. */
export class RecipientRefusedError extends Error {
  readonly code = 'recipient_refused';
  constructor(recipient: string) {
    super(`refusing to send to ${JSON.stringify(recipient)}: not exactly one plain address`);
    this.name = 'RecipientRefusedError';
  }
}

/**
 * Checks, just before sending, that the mailer reads the recipient as exactly the one address that
 * is stored: no display name, no second address, no group (nodemailer's own parser, the one that
 * would route the message).
 */
export function plainRecipient(to: string): { name: ''; address: string } {
  const parsed = addressparser(to);
  const [only] = parsed;
  if (parsed.length !== 1 || !only || 'group' in only || only.name || only.address !== to)
    throw new RecipientRefusedError(to);
  return { name: '', address: to };
}
