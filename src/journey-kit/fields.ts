import { z } from 'zod';
import { canonicalEmail, emailRefusal } from '../channels/email-address.js';

export { canonicalEmail } from '../channels/email-address.js';

const EMAIL_META = 'x-parcours-email';

/**
 * An email address field: a plain mailbox (`local@domain`), canonicalised; internationalised
 * addresses are accepted (RFC 6531). Display names, lists, comments, quoted local parts, control
 * and invisible characters, and anything Unicode compatibility normalisation would change are
 * refused.
 */
export const emailField = () =>
  z
    .string()
    .overwrite(canonicalEmail)
    .max(254)
    .superRefine((value, ctx) => {
      const refusal = emailRefusal(value);
      if (refusal) ctx.addIssue({ code: 'invalid_format', format: 'email', message: refusal });
    })
    // The schema cannot say "trimmed": it says so in words, so a client knows what is taken.
    .meta({
      [EMAIL_META]: true,
      format: 'idn-email',
      description:
        'A plain mailbox address (name@example.com): surrounding spaces are ignored, and it is compared in Unicode NFC, lower-cased',
    });

/** Whether a schema is an email field (the step API stores its domain as an IDNA A-label). */
export const isEmailField = (schema: z.ZodType): boolean => schema.meta()?.[EMAIL_META] === true;

const PHONE_META = 'x-parcours-phone';

/**
 * A phone number a code is texted to, in international form (`+33 6 12 34 56 78`). The schema
 * takes its shape only: the step API checks it against the numbering plans and stores it in E.164
 * (src/channels/phone-number.ts), refusing numbers no text message should go to.
 */
export const phoneField = () =>
  z
    .string()
    .trim()
    .regex(/^\+[0-9][0-9 ().-]{5,24}$/, 'A phone number in international form, starting with +')
    .meta({
      [PHONE_META]: true,
      format: 'phone',
      description:
        'A mobile number in international form (+33 6 12 34 56 78): stored in E.164; premium-rate, fixed-line and unknown kinds are refused',
    });

/** Whether a schema is a phone field (the step API stores it in E.164). */
export const isPhoneField = (schema: z.ZodType): boolean => schema.meta()?.[PHONE_META] === true;
