import { z } from 'zod';
import type { ConsentRequest } from '../../src/consent/consent-request.js';
import { type FieldError, type StepError, stepError } from '../../src/journey-kit/index.js';

/**
 * The consent step, as consent@1 and registration@3 both ask it: a decision per purpose (each on
 * its own), and the version of each policy the page showed, which is the one recorded (a page
 * rendered for an older version cannot record a newer one). Each answer is checked where it is
 * recorded; the published schema names exactly the purposes and versions of the view.
 */
export const consentStepInput = z.strictObject({
  decisions: z.record(z.string().regex(/^[a-z][a-z0-9_]{1,62}$/), z.boolean()),
  policies: z.record(z.string().regex(/^[a-z][a-z0-9_-]{1,39}$/), z.string().min(1).max(40)),
});
export type ConsentStepInput = z.infer<typeof consentStepInput>;

/** The step's published schema for one view: its purposes and the policy versions shown. */
export function consentStepSchema(data: Record<string, unknown>): Record<string, unknown> {
  const { purposes = [], policies = [] } = data as Partial<ConsentRequest>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      decisions: {
        type: 'object',
        description: 'true grants a purpose, false denies it; a required purpose must be granted',
        properties: Object.fromEntries(
          purposes.map((purpose) => [
            purpose.id,
            purpose.required
              ? { const: true, description: purpose.name }
              : { type: 'boolean', description: purpose.name },
          ]),
        ),
        // A required purpose not granted yet must be: the account needs it.
        required: purposes
          .filter((purpose) => purpose.required && purpose.decision !== 'granted')
          .map((purpose) => purpose.id),
        additionalProperties: false,
      },
      policies: {
        type: 'object',
        description: 'The version of each policy the page showed',
        properties: Object.fromEntries(
          policies.map((policy) => [policy.policy, { const: policy.version }]),
        ),
        required: policies.map((policy) => policy.policy),
        additionalProperties: false,
      },
    },
    required: ['decisions', 'policies'],
    additionalProperties: false,
  };
}

/** Refused decisions as the step's error: every refusal at once, each with its path. */
export function consentRefusal(errors: FieldError[] = []): StepError {
  const first = errors[0];
  return stepError(first?.code ?? 'invalid_input', {
    path: first?.path ?? '/decisions',
    ...(first ? { message: first.message } : {}),
    detail: { errors },
  });
}
