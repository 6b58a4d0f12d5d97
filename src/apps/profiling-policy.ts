import { z } from 'zod';

/** A moment an app signals (`first_purchase`). */
const momentName = () => z.string().regex(/^[a-z][a-z0-9_]{0,39}$/);

/** Seconds in a day, for the defaults below. */
const DAY_SECONDS = 86_400;

/**
 * What an app's progressive profiling asks, and when (its registration's `profiling`): a question
 * per attribute, asked from the `at_sign_in`-th sign-in through that app on, or when the app
 * signals its `moment` (`first_purchase`) by starting progressive-profiling@1 with it. Only what
 * the profile lacks is ever asked, at most `max_fields_per_step` at a time; a skipped question
 * comes back after `ask_again_after_seconds`, never in the same session.
 */
export const profilingPolicy = z.strictObject({
  questions: z
    .array(
      // When: from the n-th sign-in, at a moment the app signals, or both (at least one).
      z.union([
        z.strictObject({
          attribute: z.string().min(1).max(63),
          at_sign_in: z.int().min(1).max(1000),
          moment: momentName().optional(),
        }),
        z.strictObject({
          attribute: z.string().min(1).max(63),
          at_sign_in: z.int().min(1).max(1000).optional(),
          moment: momentName(),
        }),
      ]),
    )
    .max(50)
    .default([]),
  max_fields_per_step: z.int().min(1).max(10).default(2),
  ask_again_after_seconds: z
    .int()
    .min(1)
    .max(365 * DAY_SECONDS)
    .default(30 * DAY_SECONDS),
});
export type ProfilingPolicy = z.infer<typeof profilingPolicy>;

/** A policy as stored (a registration made before a default changed still parses). */
export const policyOf = (stored: unknown): ProfilingPolicy => {
  const parsed = profilingPolicy.safeParse(stored ?? {});
  return parsed.success ? parsed.data : profilingPolicy.parse({});
};

/**
 * The attributes a policy asks at this moment: at a sign-in (its count through the app), or at the
 * moment the app signalled. In the policy's order, each once.
 */
export function questionsDue(
  policy: ProfilingPolicy,
  when: { signIn: number } | { moment: string },
): string[] {
  const due = policy.questions.filter((question) =>
    'signIn' in when
      ? question.at_sign_in !== undefined && when.signIn >= question.at_sign_in
      : question.moment === when.moment,
  );
  return [...new Set(due.map((question) => question.attribute))];
}
