import type { z } from 'zod';
import { storedEmail } from '../channels/addresses.js';
import { textablePhone } from '../channels/phone-number.js';
import { errorSpec } from '../errors/catalogue.js';
import type { StepDefinition } from '../journey-kit/define-journey.js';
import { isEmailField, isPhoneField } from '../journey-kit/fields.js';
import { objectsOf, secretFieldsOf } from '../journey-kit/secret-fields.js';
import type { BreachedPasswordCheck } from '../security/breached-passwords.js';
import { hashPassword, normalizePassword } from '../security/password-hash.js';
import type { PasswordPolicyPool } from '../security/password-policy-pool.js';
import type { Vault } from '../security/vault.js';
import { fieldErrorsOf } from './field-errors.js';
import type { FieldError } from './problem.js';

export type SealResult =
  | { ok: true; sealed: Record<string, unknown> }
  | { ok: false; errors: FieldError[] };

/** The fields of a step input a predicate marks (email fields, phone fields), by name. */
const fieldsMarked = (schema: z.ZodType, marked: (field: z.ZodType) => boolean): Set<string> =>
  new Set(
    objectsOf(schema).flatMap((object) =>
      Object.entries(object.shape)
        .filter(([, field]) => marked(field as z.ZodType))
        .map(([name]) => name),
    ),
  );

/** How long a secret submitted by reference waits in the vault for its activity. */
const SUBMITTED_SECRET_TTL_MS = 10 * 60_000;

/**
 * Validates a step body against the step's zod schema, then seals its secrets so none reaches the
 * workflow: a new password is checked against the policy and, where configured, against breach
 * corpora (NIST SP 800-63B §5.1.1.2, ASVS 2.1.7), then hashed (argon2id); any other secret goes to
 * the vault and travels as a reference.
 */
export function createStepInputSealer(deps: {
  passwordPolicy: Pick<PasswordPolicyPool, 'check'>;
  vault: Vault;
  breachedPasswords?: Pick<BreachedPasswordCheck, 'check'>;
}) {
  return async function sealStepInput(
    step: StepDefinition,
    body: unknown,
    /** The run's journey settings: `passwordMinLength` raises the policy's minimum for it. */
    settings: Record<string, unknown> = {},
  ): Promise<SealResult> {
    const parsed = step.input.safeParse(body ?? {});
    if (!parsed.success) return { ok: false, errors: fieldErrorsOf(parsed.error.issues) };
    const input = { ...(parsed.data as Record<string, unknown>) };
    // Email addresses are stored with their domain as an IDNA A-label: one spelling per domain.
    for (const field of fieldsMarked(step.input, isEmailField)) {
      if (typeof input[field] !== 'string') continue;
      const stored = storedEmail(input[field] as string);
      if (!stored)
        return {
          ok: false,
          errors: [
            {
              path: `/${field}`,
              code: 'invalid_format',
              message: 'This domain is not a valid internationalised domain name',
            },
          ],
        };
      input[field] = stored;
    }
    // Phone numbers are checked against the numbering plans and stored in E.164.
    for (const field of fieldsMarked(step.input, isPhoneField)) {
      if (typeof input[field] !== 'string') continue;
      const checked = textablePhone(input[field] as string);
      if (!checked.ok)
        return {
          ok: false,
          errors: [
            { path: `/${field}`, code: checked.code, message: errorSpec(checked.code).message },
          ],
        };
      input[field] = checked.phone.e164;
    }
    const secrets = [...secretFieldsOf(step.input)].filter(
      ([field]) => typeof input[field] === 'string',
    );
    // The other answers of the step (the email, a name) are context words a password must not be built on.
    const userInputs = Object.entries(input)
      .filter(
        ([field, value]) =>
          typeof value === 'string' && !secrets.some(([secretField]) => secretField === field),
      )
      .flatMap(([, value]) => [value as string, ...(value as string).split(/[@.+_-]/)]);
    const errors: FieldError[] = [];
    for (const [field, kind] of secrets) {
      const value = input[field] as string;
      if (kind === 'newPassword') {
        const minLength =
          typeof settings.passwordMinLength === 'number' ? settings.passwordMinLength : undefined;
        const verdict = await deps.passwordPolicy.check(value, userInputs, minLength);
        if (!verdict.ok) {
          errors.push({
            path: `/${field}`,
            code: verdict.code,
            message: verdict.message,
            feedback: verdict.feedback,
          });
          continue;
        }
        // Fails open (`unknown`): an unreachable service never blocks a sign-up. The count stays here.
        const breach = await deps.breachedPasswords?.check(value);
        if (breach?.breached === true) {
          errors.push({
            path: `/${field}`,
            code: 'password_breached',
            message: errorSpec('password_breached').message,
          });
          continue;
        }
        input[field] = await hashPassword(normalizePassword(value));
      } else {
        input[field] = await deps.vault.put({
          purpose: `step-input:${kind}`,
          value,
          ttlMs: SUBMITTED_SECRET_TTL_MS,
        });
      }
    }
    return errors.length ? { ok: false, errors } : { ok: true, sealed: input };
  };
}
