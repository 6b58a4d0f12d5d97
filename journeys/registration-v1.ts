import { and, assign, setup, stateIn } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  emailField,
  type JourneyActivityError,
  type JourneyFailure,
  type JourneyInput,
  outcomeActions,
  type StepError,
  secret,
  step,
  stepError,
} from '../src/journey-kit/index.js';

/**
 * registration@1, kept for its runs still in flight: its commands (activities, their order, its
 * timers) must not change, or those runs fail to replay (test/integration/replay.test.ts). New runs
 * start on registration@2 (registration.ts), the same journey built from shared parts. Remove it,
 * with src/activities/registration-v1/, once no @1 run is open.
 */

const settings = z.object({
  codeTtlMs: z
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  resendCooldownMs: z.number().int().nonnegative().default(30_000),
  maxCodeAttempts: z.number().int().positive().default(5),
  maxCodesPerRun: z.number().int().positive().default(5),
  termsVersion: z.string().default('2026-11-01'),
  termsUrl: z.string().default('/legal/terms'),
});
type Settings = z.infer<typeof settings>;

const credentialsInput = z.strictObject({ email: emailField(), password: secret.newPassword() });
const verifyEmailInput = z.union([
  z.strictObject({ code: secret.oneTimeCode(6) }),
  z.strictObject({ resend: z.literal(true) }),
]);
const termsInput = z.strictObject({ accept: z.literal(true), policyVersion: z.string().min(1) });

// What the workflow receives: secrets are sealed by the step API (hash or vault reference).
type Events =
  | { type: 'credentials'; input: { email: string; password: string } }
  | { type: 'verify-email'; input: { code: string } | { resend: true } }
  | { type: 'terms'; input: z.infer<typeof termsInput> };

interface Context {
  journeyId: string;
  settings: Settings;
  email?: string;
  passwordHash?: string;
  challengeId?: string;
  messageId?: string;
  codeExpiresAt?: string;
  resendAvailableAt?: string;
  codesIssued: number;
  attemptsLeft: number;
  codeStatus: 'sent' | 'expired' | 'locked';
  deliveryFailed: boolean;
  userId?: string;
  session?: unknown;
  stepError?: StepError;
  failure?: JourneyFailure;
}

const errorOf = (error: unknown) => error as JourneyActivityError;

const RESEND_LIMIT = stepError('resend_limit');
const RESEND_COOLDOWN = stepError('resend_cooldown');
const TOO_MANY_ATTEMPTS = stepError('too_many_attempts', { path: '/code' });
const CODE_EXPIRED = stepError('code_expired', { path: '/code' });

/** Asking for a new code: refused past the per-run limit, and (while a code is live) during the cooldown. */
const resendTransitions = (gated: boolean) =>
  [
    {
      guard: and(['wantsResend', 'resendLimitReached']),
      actions: { type: 'rejectStep', params: RESEND_LIMIT },
    },
    {
      guard: gated ? and(['wantsResend', stateIn('#resendOpen')]) : 'wantsResend',
      target: '#registration.verifyEmail.resend',
    },
    { guard: 'wantsResend', actions: 'rejectResendDuringCooldown' },
  ] as const;

export const registrationV1Machine = setup({
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings>,
  },
  actors: {
    issueEmailCode: activity('issueEmailCode'),
    deliverMessage: activity('deliverMessage'),
    verifyEmailCode: activity('verifyEmailCode'),
    createUser: activity('createUser'),
    createSession: activity('createSession'),
  },
  delays: {
    codeTtl: ({ context }) => context.settings.codeTtlMs,
    resendCooldown: ({ context }) => context.settings.resendCooldownMs,
  },
  guards: {
    wantsResend: ({ event }) => event.type === 'verify-email' && 'resend' in event.input,
    resendLimitReached: ({ context }) => context.codesIssued >= context.settings.maxCodesPerRun,
  },
  actions: {
    ...outcomeActions,
    clearStepError: assign({ stepError: undefined }),
    rejectStep: assign({ stepError: (_, params: StepError) => params }),
    rejectResendDuringCooldown: assign({
      stepError: ({ context }) => ({
        ...RESEND_COOLDOWN,
        detail: { retryAt: context.resendAvailableAt },
      }),
    }),
  },
}).createMachine({
  id: 'registration',
  // XState v5 gives a machine no output of its own: pass on the output of the final state reached.
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    journeyId: input.journeyId,
    settings: input.settings,
    codesIssued: 0,
    attemptsLeft: input.settings.maxCodeAttempts,
    codeStatus: 'sent',
    deliveryFailed: false,
  }),
  initial: 'credentials',
  states: {
    credentials: {
      on: {
        credentials: {
          target: 'verifyEmail',
          actions: assign(({ event }) => ({
            email: event.input.email,
            passwordHash: event.input.password,
            stepError: undefined,
          })),
        },
      },
    },
    verifyEmail: {
      initial: 'issuing',
      states: {
        issuing: {
          invoke: {
            src: 'issueEmailCode',
            input: ({ context }) => ({
              journeyId: context.journeyId,
              email: context.email as string,
              purpose: 'registration',
              ttlMs: context.settings.codeTtlMs,
              resendCooldownMs: context.settings.resendCooldownMs,
            }),
            onDone: {
              target: 'live',
              actions: assign(({ context, event }) => ({
                ...event.output,
                codeExpiresAt: event.output.expiresAt,
                codesIssued: context.codesIssued + 1,
                attemptsLeft: context.settings.maxCodeAttempts,
                codeStatus: 'sent' as const,
                deliveryFailed: false,
                stepError: undefined,
              })),
            },
            onError: {
              target: '#registration.failed',
              actions: {
                type: 'failWith',
                params: { code: 'code_not_issued' },
              },
            },
          },
        },
        // Re-entered from `issuing`, so every new code restarts the expiry and resend timers.
        resend: { always: 'issuing' },
        live: {
          type: 'parallel',
          after: { codeTtl: 'expired' },
          // Delivery runs while the customer waits at the step: the answer does not wait for SMTP.
          invoke: {
            src: 'deliverMessage',
            input: ({ context }) => ({ messageId: context.messageId as string }),
            onError: { actions: assign({ deliveryFailed: true }) },
          },
          states: {
            code: {
              initial: 'awaiting',
              states: {
                awaiting: {
                  on: {
                    'verify-email': [
                      ...resendTransitions(true),
                      { target: 'checking', actions: 'clearStepError' },
                    ],
                  },
                },
                checking: {
                  invoke: {
                    src: 'verifyEmailCode',
                    input: ({ context, event }) => ({
                      challengeId: context.challengeId as string,
                      code: (event as { input: { code: string } }).input.code,
                      maxAttempts: context.settings.maxCodeAttempts,
                    }),
                    onDone: { target: '#registration.terms' },
                    onError: [
                      {
                        guard: ({ event }) => errorOf(event.error).code === 'too_many_attempts',
                        target: 'locked',
                      },
                      // The database saw the expiry before the durable timer fired: same outcome.
                      {
                        guard: ({ event }) => errorOf(event.error).code === 'code_expired',
                        target: '#registration.verifyEmail.expired',
                        actions: { type: 'rejectStep', params: CODE_EXPIRED },
                      },
                      {
                        guard: ({ event }) => errorOf(event.error).business,
                        target: 'awaiting',
                        actions: assign(({ context, event }) => {
                          const error = errorOf(event.error);
                          const attemptsLeft = Number(
                            error.detail?.attemptsLeft ?? context.attemptsLeft - 1,
                          );
                          return {
                            attemptsLeft,
                            stepError: stepError(error.code, {
                              message: error.message,
                              path: '/code',
                              detail: { attemptsLeft },
                            }),
                          };
                        }),
                      },
                      {
                        target: '#registration.failed',
                        actions: {
                          type: 'failWith',
                          params: { code: 'code_not_checked' },
                        },
                      },
                    ],
                  },
                },
                locked: {
                  entry: assign({
                    attemptsLeft: 0,
                    codeStatus: 'locked' as const,
                    stepError: TOO_MANY_ATTEMPTS,
                  }),
                  on: {
                    'verify-email': [
                      ...resendTransitions(true),
                      { actions: { type: 'rejectStep', params: TOO_MANY_ATTEMPTS } },
                    ],
                  },
                },
              },
            },
            // Resending is allowed once the cooldown has run: a durable timer, no clock reads.
            resendGate: {
              initial: 'coolingDown',
              states: {
                coolingDown: { after: { resendCooldown: 'open' } },
                open: { id: 'resendOpen' },
              },
            },
          },
        },
        expired: {
          entry: assign({ codeStatus: 'expired' as const }),
          on: {
            'verify-email': [
              ...resendTransitions(false),
              { actions: { type: 'rejectStep', params: CODE_EXPIRED } },
            ],
          },
        },
      },
    },
    terms: {
      on: {
        terms: [
          {
            guard: ({ context, event }) =>
              event.input.policyVersion === context.settings.termsVersion,
            target: 'creatingAccount',
            actions: 'clearStepError',
          },
          {
            actions: assign(({ context }) => ({
              stepError: stepError('policy_version_mismatch', {
                message: `Accept the current terms (version ${context.settings.termsVersion})`,
                path: '/policyVersion',
              }),
            })),
          },
        ],
      },
    },
    creatingAccount: {
      invoke: {
        src: 'createUser',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          email: context.email as string,
          passwordHash: context.passwordHash as string,
          termsVersion: context.settings.termsVersion,
        }),
        onDone: {
          target: 'openingSession',
          actions: assign({ userId: ({ event }) => event.output.userId, passwordHash: undefined }),
        },
        // Business outcomes (email_taken) are shown as they are; anything else stays generic (ASVS 7.4.1).
        onError: [
          {
            guard: ({ event }) => errorOf(event.error).business,
            target: 'failed',
            actions: assign({
              failure: ({ event }) => ({
                code: errorOf(event.error).code,
                message: errorOf(event.error).message,
              }),
            }),
          },
          {
            target: 'failed',
            actions: {
              type: 'failWith',
              params: { code: 'account_not_created' },
            },
          },
        ],
      },
    },
    openingSession: {
      invoke: {
        src: 'createSession',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          userId: context.userId as string,
          aal: 1,
          amr: ['pwd'],
        }),
        onDone: { target: 'completed', actions: assign({ session: ({ event }) => event.output }) },
        onError: {
          target: 'failed',
          actions: {
            type: 'failWith',
            params: { code: 'session_not_opened' },
          },
        },
      },
    },
    completed: {
      type: 'final',
      output: ({ context }) => ({ user: { id: context.userId }, session: context.session }),
    },
    failed: {
      type: 'final',
      tags: ['failed'],
      output: ({ context }) => ({ error: context.failure }),
    },
  },
});

const verifyEmailStep = step<Context>({
  name: 'verify-email',
  input: verifyEmailInput,
  data: (context) => ({
    email: context.email,
    codeLength: 6,
    codeStatus: context.codeStatus,
    expiresAt: context.codeExpiresAt,
    resendAvailableAt: context.resendAvailableAt,
    attemptsLeft: context.attemptsLeft,
  }),
});

export const registrationV1 = defineJourney({
  id: 'registration',
  version: 1,
  title: 'Sign up with email and password',
  machine: registrationV1Machine,
  settings,
  steps: {
    credentials: step<Context>({
      name: 'credentials',
      input: credentialsInput,
      data: () => ({ passwordPolicy: { minLength: 8, maxLength: 256 } }),
    }),
    'verifyEmail.live.code.awaiting': verifyEmailStep,
    'verifyEmail.live.code.locked': verifyEmailStep,
    'verifyEmail.expired': verifyEmailStep,
    terms: step<Context>({
      name: 'terms',
      input: termsInput,
      data: (context) => ({
        policyVersion: context.settings.termsVersion,
        url: context.settings.termsUrl,
      }),
    }),
  },
});
