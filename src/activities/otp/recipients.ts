import { storedEmail } from '../../channels/addresses.js';
import type { Channel } from '../../channels/render.js';

// ITU-T E.164: a plus, a country code, at most 15 digits in all.
const E164 = /^\+[1-9][0-9]{6,14}$/;

/** The form a recipient is stored and compared in on its channel, so one inbox is one recipient. */
export function canonicalRecipient(channel: Channel, value: string): string {
  if (channel === 'email') {
    // The step API stored it so already; an activity still refuses what a mailer would misread.
    const stored = storedEmail(value);
    if (!stored) throw new Error('an email recipient must be a plain mailbox address');
    return stored;
  }
  const phone = value.replace(/[\s().-]/g, '');
  if (!E164.test(phone)) throw new Error('an SMS recipient must be an E.164 phone number');
  return phone;
}

/** The identifier type a channel's recipients are stored as. */
export const identifierTypeOf = (channel: Channel): 'email' | 'phone' =>
  channel === 'email' ? 'email' : 'phone';
