import { storedEmail } from '../../channels/addresses.js';
import { e164Of } from '../../channels/phone-number.js';
import type { Channel } from '../../channels/render.js';

/** The form a recipient is stored and compared in on its channel, so one inbox is one recipient. */
export function canonicalRecipient(channel: Channel, value: string): string {
  if (channel === 'email') {
    // The step API stored it so already; an activity still refuses what a mailer would misread.
    const stored = storedEmail(value);
    if (!stored) throw new Error('an email recipient must be a plain mailbox address');
    return stored;
  }
  const phone = e164Of(value);
  if (!phone) throw new Error('an SMS recipient must be an E.164 phone number');
  return phone;
}

/** The identifier type a channel's recipients are stored as. */
export const identifierTypeOf = (channel: Channel): 'email' | 'phone' =>
  channel === 'email' ? 'email' : 'phone';
