import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  type Fragment,
  type JourneyActivityError,
  journeyFailure,
  type StepError,
  secret,
  step,
  stepError,
} from '../../src/engine/index.js';

/**
 * A TOTP challenge (RFC 6238), written once for every journey that asks for an authenticator app's
 * code: sign-in, step-up. The code is checked by the `verifyTotp` activity, which accepts each code
 * once and throttles wrong ones per account. It ends `{ outcome: 'verified' }` or, when the check
 * cannot be made at all, `{ outcome: 'failed', error }`; a wrong, reused or throttled code stays at
 * the step with its error.
 */

/** What a journey's context must hold to include a TOTP challenge. */
export interface TotpChallengeHost {
  /** The account whose authenticator is asked for, known once the first factor passed. */
  userId?: string;
  stepError?: StepError;
}

// biome-ignore lint/suspicious/noExplicitAny: implementations run against whichever journey includes them
type Args = { context: TotpChallengeHost; event: any };

export function totpChallenge(options: { name?: string; step?: string } = {}): Fragment {
  const name = options.name ?? 'totp';
  const stepName = options.step ?? 'totp';
  const p = `${name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase())}.`;

  const state = {
    initial: 'awaiting',
    states: {
      awaiting: {
        on: { [stepName]: { target: 'checking', actions: `${p}clearStepError` } },
      },
      checking: {
        invoke: {
          src: 'verifyTotp',
          input: ({ context, event }: Args) => ({
            userId: context.userId as string,
            code: event.input.code,
          }),
          onDone: { target: 'verified' },
          onError: [
            // Wrong, already used, throttled or locked: the customer sees why at the step.
            { guard: `${p}refused`, target: 'awaiting', actions: `${p}reject` },
            { target: 'failed' },
          ],
        },
      },
      verified: { type: 'final', output: { outcome: 'verified' } },
      failed: {
        type: 'final',
        output: { outcome: 'failed', error: journeyFailure('sign_in_not_completed') },
      },
    },
  };

  const implementations = {
    actors: { verifyTotp: activity('verifyTotp') },
    guards: {
      [`${p}refused`]: ({ event }: Args) => (event.error as JourneyActivityError).business,
    },
    actions: {
      [`${p}clearStepError`]: assign({ stepError: undefined }),
      [`${p}reject`]: assign({
        stepError: ({ event }: Args) => {
          const error = event.error as JourneyActivityError;
          return stepError(error.code, {
            message: error.message,
            path: '/code',
            ...(error.detail ? { detail: error.detail } : {}),
          });
        },
      }),
    },
    delays: {},
  };

  return {
    name,
    state,
    steps: {
      awaiting: step<TotpChallengeHost>({
        name: stepName,
        input: z.strictObject({ code: secret.oneTimeCode(6) }),
        data: () => ({ codeLength: 6, factor: 'totp' }),
      }),
    },
    implementations,
  };
}
