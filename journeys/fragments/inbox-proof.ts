import { assign } from 'xstate';
import { z } from 'zod';
import {
  emailField,
  type Fragment,
  type StepError,
  startFields,
  step,
} from '../../src/journey-kit/index.js';
import { type CodeChallengeHost, codeChallenge } from './code-challenge.js';

/** The start of a journey that begins with an address: a hint for it, a return address, languages. */
export const addressStart = z.strictObject({
  login_hint: startFields.loginHint().optional(),
  return_to: startFields.returnTo().optional(),
  ui_locales: startFields.uiLocales().optional(),
});

/** What a journey's context holds to prove an inbox first. */
export interface InboxProofHost extends CodeChallengeHost {
  loginHint?: string;
  email?: string;
  stepError?: StepError;
}

// biome-ignore lint/suspicious/noExplicitAny: placed in whichever journey proves an inbox
type Args = { context: InboxProofHost; event: any };

/**
 * Proving an inbox before anything else (account recovery, a reset of lost factors): one address
 * (a scalar: a list or an array is refused), then a code sent to it only if an active account has
 * it verified. Every other address gets the same answers after the same work, and no code works
 * for it. `link` sends a link beside the code (recovery@1). The journey places `states(next)` and
 * declares `code` at `verifyingInbox` and `step` at `email`.
 */
export function inboxProof(options: { purpose: string; link?: boolean }) {
  const code = codeChallenge({
    name: 'inbox-code',
    channel: 'email',
    step: 'verify-email',
    purpose: options.purpose,
    template: 'account-recovery-code',
    onlyToAccount: true,
    ...(options.link ? { link: true } : {}),
    recipient: (context: InboxProofHost) => context.email as string,
  });
  return {
    code,
    step: step<InboxProofHost>({
      name: 'email',
      input: z.strictObject({ email: emailField() }),
      data: (context) => (context.loginHint ? { email: context.loginHint } : {}),
    }),
    /** The address's step, then the code's; `next` once the inbox is proven. */
    // Typed loosely, as a fragment's state is: the journey's setup() names what they refer to.
    states: (next: string): Record<string, Fragment['state']> => ({
      email: {
        on: {
          email: {
            target: 'verifyingInbox',
            actions: assign(({ event }: Args) => ({
              email: event.input.email,
              stepError: undefined,
            })),
          },
        },
      },
      verifyingInbox: {
        ...code.state,
        onDone: [
          { guard: 'fragmentFailed', target: 'failed', actions: 'failWithFragmentError' },
          { target: next },
        ],
      },
    }),
  };
}
