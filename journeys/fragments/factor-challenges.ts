import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  type Fragment,
  type FragmentOutcome,
  type JourneyActivityError,
  journeyFailure,
  type StepError,
  secret,
  step,
  stepError,
} from '../../src/engine/index.js';

/**
 * Second-factor challenges, written once for every journey that asks for one (sign-in, step-up):
 * an authenticator app's code (TOTP) and a recovery code. Each asks for its code at its step and
 * has an activity check it; a wrong, reused or throttled code stays at the step with its reason.
 * At the step the customer may choose another factor their account has (`{ method }`): the
 * challenge then ends `{ outcome: 'switch', method }` and the journey moves to that factor's.
 * A recovery code's use is told to its owner by email: the challenge ends `{ outcome: 'verified',
 * notice }` and the journey delivers it once the customer is signed in.
 */

/** The second factors an account can hold, as `whoami` and the steps name them. */
export const secondFactorMethods = ['totp', 'recovery_code'] as const;
export type SecondFactorMethod = (typeof secondFactorMethods)[number];

/** What a journey's context must hold to include a factor challenge. */
export interface FactorChallengeHost {
  journeyId: string;
  /** The account asked, known once the first factor passed. */
  userId?: string;
  /** The second factors the account has: the others a challenge offers. */
  factors: string[];
  locales?: string[];
  stepError?: StepError;
  /** The factor the customer chose instead, and a notice to deliver after the sign-in. */
  factorSwitch?: string;
  factorNotice?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: implementations run against whichever journey includes them
type Args = { context: FactorChallengeHost; event: any };

interface FactorChallengeOptions {
  name: string;
  method: SecondFactorMethod;
  step: string;
  check: 'verifyTotp' | 'verifyRecoveryCode';
  code: z.ZodType<string>;
  data: Record<string, unknown>;
}

function factorChallenge(options: FactorChallengeOptions): Fragment {
  const p = `${options.name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase())}.`;
  const others = (context: FactorChallengeHost) =>
    context.factors.filter((method) => method !== options.method);

  const state = {
    initial: 'awaiting',
    states: {
      awaiting: {
        on: {
          [options.step]: [
            {
              guard: `${p}choosesAvailable`,
              target: 'switching',
              actions: assign({ factorSwitch: ({ event }: Args) => event.input.method }),
            },
            { guard: `${p}choosesOther`, actions: `${p}rejectUnavailable` },
            { target: 'checking', actions: `${p}clearStepError` },
          ],
        },
      },
      checking: {
        invoke: {
          src: options.check,
          input: ({ context, event }: Args) => ({
            journeyId: context.journeyId,
            userId: context.userId as string,
            code: event.input.code,
            ...(context.locales ? { locales: context.locales } : {}),
          }),
          onDone: {
            target: 'verified',
            actions: assign({
              factorNotice: ({ event }: Args) => event.output?.messageId,
              stepError: undefined,
            }),
          },
          onError: [
            { guard: `${p}refused`, target: 'awaiting', actions: `${p}reject` },
            { target: 'failed' },
          ],
        },
      },
      switching: {
        type: 'final',
        output: ({ context }: Args): FragmentOutcome => ({
          outcome: 'switch',
          method: context.factorSwitch as string,
        }),
      },
      verified: {
        type: 'final',
        output: ({ context }: Args): FragmentOutcome => ({
          outcome: 'verified',
          ...(context.factorNotice ? { notice: context.factorNotice } : {}),
        }),
      },
      failed: {
        type: 'final',
        output: { outcome: 'failed', error: journeyFailure('sign_in_not_completed') },
      },
    },
  };

  const implementations = {
    actors: { [options.check]: activity(options.check) },
    guards: {
      [`${p}choosesOther`]: ({ event }: Args) => typeof event.input?.method === 'string',
      [`${p}choosesAvailable`]: ({ context, event }: Args) =>
        others(context).includes(event.input?.method),
      [`${p}refused`]: ({ event }: Args) => (event.error as JourneyActivityError).business,
    },
    actions: {
      [`${p}clearStepError`]: assign({ stepError: undefined }),
      [`${p}rejectUnavailable`]: assign({
        stepError: stepError('factor_not_enrolled', { path: '/method' }),
      }),
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
    name: options.name,
    state,
    steps: {
      awaiting: step<FactorChallengeHost>({
        name: options.step,
        input: z.union([
          z.strictObject({ code: options.code }),
          z.strictObject({ method: z.enum(secondFactorMethods) }),
        ]),
        data: (context) => ({ ...options.data, otherFactors: others(context) }),
      }),
    },
    implementations,
  };
}

/** An authenticator app's code (RFC 6238), checked by `verifyTotp`: each accepted once. */
export const totpChallenge = () =>
  factorChallenge({
    name: 'totp',
    method: 'totp',
    step: 'totp',
    check: 'verifyTotp',
    code: secret.oneTimeCode(6),
    data: { factor: 'totp', codeLength: 6 },
  });

/** One of the account's recovery codes, checked by `verifyRecoveryCode`: each works once. */
export const recoveryCodeChallenge = () =>
  factorChallenge({
    name: 'recovery-code',
    method: 'recovery_code',
    step: 'recovery-code',
    check: 'verifyRecoveryCode',
    code: secret.recoveryCode(),
    data: { factor: 'recovery_code' },
  });
