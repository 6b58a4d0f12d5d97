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
