import { and, assign, raise } from 'xstate';
import { z } from 'zod';
import {
  activity,
  type CodeTemplate,
  type ErrorCode,
  type Fragment,
  type JourneyActivityError,
  type JourneyFailure,
  journeyFailure,
  type NoticeTemplate,
  prefixed,
  prefixOf,
  type StepError,
  secret,
  step,
  stepError,
} from '../../src/journey-kit/index.js';

/**
 * A one-time-code challenge, written once for every journey that proves control of an address or
 * a phone number:
 * send a code, check it, resend after a cooldown, expire it on a durable timer, lock after N wrong
 * tries. It ends `{ outcome: 'verified' }` or `{ outcome: 'failed', error }`.
 */

/** Lifetimes and limits, from the deployment settings of the journey that includes the challenge. */
export const codeChallengeSettings = z.object({
  codeTtlMs: z
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  resendCooldownMs: z.number().int().nonnegative().default(30_000),
  maxCodeAttempts: z.number().int().positive().default(5),
  maxCodesPerRun: z.number().int().positive().default(5),
});
export type CodeChallengeSettings = z.infer<typeof codeChallengeSettings>;

/** Where the challenge stands: kept in the journey's context under `codeChallenge`. */
export interface CodeChallengeState {
  challengeId?: string;
  messageId?: string;
  expiresAt?: string;
  resendAvailableAt?: string;
  codesIssued: number;
  attemptsLeft: number;
  status: 'sent' | 'expired' | 'locked';
  deliveryFailed: boolean;
  resendOpen: boolean;
  failure?: JourneyFailure;
  /** Why no code could be sent (a text message past its limits): shown where the number was given. */
  refusal?: StepError;
}

/** What a journey's context must hold to include a code challenge. */
export interface CodeChallengeHost {
  journeyId: string;
  settings: CodeChallengeSettings;
  /** The customer's languages (ui_locales), for the message. */
  locales?: string[];
  /** Who started the run (input.requester): codes to one address are counted per requester too. */
  requester?: string;
  stepError?: StepError;
  codeChallenge?: CodeChallengeState;
}

/**
 * What a journey's context starts with to host a code challenge: its run, settings, the customer's
 * languages and the requester, from the run's input. Every journey that includes the challenge
 * starts its context from this, so none forgets the requester the code limits count by.
 */
export function codeChallengeHost<TSettings extends CodeChallengeSettings>(input: {
  journeyId: string;
  settings: TSettings;
  start: { ui_locales?: string[] };
  requester?: string;
}) {
  return {
    journeyId: input.journeyId,
    settings: input.settings,
    ...(input.start.ui_locales ? { locales: input.start.ui_locales } : {}),
    ...(input.requester ? { requester: input.requester } : {}),
  };
}

export interface CodeChallengeOptions<TContext extends CodeChallengeHost, TName extends string> {
  /** Name in checks and diagrams; its camel case prefixes the implementations (`emailCode.…`). */
  name: TName;
  /** Where the code goes: an email address, or a phone number (E.164) by SMS. */
  channel: 'email' | 'sms';
  /** The step's public name (`verify-email`). */
  step: string;
  digits?: number;
  /** Recorded with each code, and the message templates that go with it. */
  purpose: string;
  template: CodeTemplate;
  /** For journeys that claim the address: its owner is told instead (see OtpPolicy.whenTaken). */
  whenTaken?: { template: NoticeTemplate };
  /** For account recovery: sent only to an account's verified address (see OtpPolicy.onlyToAccount). */
  onlyToAccount?: boolean;
  /**
   * A link in the message beside the code (OtpPolicy.link). Whoever opens it submits `{ link }`
   * to this step through the API's link route, which hands them nothing of the run: the customer
   * goes on where they started, by the journey token they hold.
   */
  link?: boolean;
  /** Where the code goes. */
  recipient: (context: TContext) => string;
  /**
   * The field the recipient was given in, at the step before: where a refused send is shown. By
   * SMS the challenge may end `{ outcome: 'refused' }` (sms_limited, a country not served): the
   * journey routes `fragmentRefused` back to that step before its default next state.
   */
  recipientField?: string;
  /** The step's inactivity timeout, for a journey that waits days for its code (default 30 minutes). */
  timeoutMs?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: implementations run against whichever journey includes them
type Args = { context: CodeChallengeHost & { codeChallenge: CodeChallengeState }; event: any };

/** What stops a code being sent for good, for this recipient now: told, not failed. */
const SEND_REFUSALS = new Set<string>([
  'sms_limited',
  'phone_country_not_allowed',
  'phone_type_refused',
  'invalid_phone',
]);
const errorOf = (event: { error: unknown }) => event.error as JourneyActivityError;

/** A code challenge for one purpose, channel and step name, to include in any journey. */
export function codeChallenge<TContext extends CodeChallengeHost, TName extends string>(
  options: CodeChallengeOptions<TContext, TName>,
) {
  const prefix = prefixOf(options.name);
  // The state names its implementations in plain strings, typed loosely as a fragment's state is.
  const p: string = prefix;
  const digits = options.digits ?? 6;
  /** Text messages may be refused before any is sent (their limits): an email never is. */
  const texts = options.channel === 'sms';
  const event = {
    resend: `${p}resend`,
    verified: `${p}verified`,
    expired: `${p}expired`,
    failed: `${p}failed`,
  };
  const RESEND_LIMIT = stepError('resend_limit');
  const RESEND_COOLDOWN = stepError('resend_cooldown');
  const TOO_MANY_ATTEMPTS = stepError('too_many_attempts', { path: '/code' });
  const CODE_EXPIRED = stepError('code_expired', { path: '/code' });
  const slice = (context: Args['context'], changes: Partial<CodeChallengeState>) => ({
    codeChallenge: { ...context.codeChallenge, ...changes },
  });

  /** Asking for a new code: refused past the per-run limit, and (while a code is live) during the cooldown. */
  const resendTransitions = (gated: boolean) => [
    { guard: and([`${p}wantsResend`, `${p}resendLimitReached`]), actions: `${p}rejectResendLimit` },
    {
      guard: gated ? and([`${p}wantsResend`, `${p}resendOpen`]) : `${p}wantsResend`,
      actions: `${p}requestResend`,
    },
    { guard: `${p}wantsResend`, actions: `${p}rejectResendDuringCooldown` },
  ];

  const state = {
    initial: 'issuing',
    entry: `${p}begin`,
    // Deep states reach the challenge's own outcomes through events raised to its root.
    on: {
      [event.resend]: '.resend',
      [event.verified]: '.verified',
      [event.expired]: '.expired',
      [event.failed]: '.failed',
    },
    states: {
      issuing: {
        invoke: {
          src: 'issueOtp',
          input: ({ context }: Args) => ({
            journeyId: context.journeyId,
            recipient: options.recipient(context as unknown as TContext),
            ...(context.requester ? { requester: context.requester } : {}),
            policy: {
              purpose: options.purpose,
              channel: options.channel,
              digits,
              ttlMs: context.settings.codeTtlMs,
              resendCooldownMs: context.settings.resendCooldownMs,
              template: options.template,
              ...(options.whenTaken ? { whenTaken: options.whenTaken } : {}),
              ...(options.onlyToAccount ? { onlyToAccount: true } : {}),
              ...(options.link ? { link: true } : {}),
              ...(context.locales ? { locales: context.locales } : {}),
            },
          }),
          onDone: { target: 'live', actions: `${p}codeIssued` },
          onError: [
            // A text message past its limits, or to a country not served: the customer is told
            // where the number was given (429 with when to come back), and nothing was sent.
            ...(texts
              ? [{ guard: `${p}sendRefused`, target: 'refused', actions: `${p}refuse` }]
              : []),
            {
              target: 'failed',
              actions: { type: `${p}fail`, params: { code: 'code_not_issued' } },
            },
          ],
        },
      },
      // Re-entered from `issuing`, so every new code restarts the expiry and resend timers.
      resend: { always: 'issuing' },
      live: {
        type: 'parallel',
        after: { [`${p}codeTtl`]: 'expired' },
        // Delivery runs while the customer waits at the step: the answer does not wait for it.
        invoke: {
          src: 'deliverMessage',
          input: ({ context }: Args) => ({ messageId: context.codeChallenge.messageId as string }),
          onError: { actions: `${p}deliveryFailed` },
        },
        states: {
          code: {
            initial: 'awaiting',
            states: {
              awaiting: {
                on: {
                  [options.step]: [
                    ...resendTransitions(true),
                    { target: 'checking', actions: `${p}clearStepError` },
                  ],
                },
              },
              checking: {
                invoke: {
                  src: 'verifyOtp',
                  input: ({ context, event }: Args) => ({
                    challengeId: context.codeChallenge.challengeId as string,
                    ...('link' in event.input
                      ? { link: event.input.link as string }
                      : { code: event.input.code as string }),
                    maxAttempts: context.settings.maxCodeAttempts,
                  }),
                  onDone: { actions: `${p}raiseVerified` },
                  onError: [
                    { guard: `${p}tooManyAttempts`, target: 'locked' },
                    // The database saw the expiry before the durable timer fired: same outcome.
                    {
                      guard: `${p}codeExpired`,
                      actions: [`${p}rejectExpired`, `${p}raiseExpired`],
                    },
                    { guard: `${p}codeRefused`, target: 'awaiting', actions: `${p}countWrongCode` },
                    {
                      actions: [
                        { type: `${p}fail`, params: { code: 'code_not_checked' } },
                        `${p}raiseFailed`,
                      ],
                    },
                  ],
                },
              },
              locked: {
                entry: `${p}lock`,
                on: {
                  [options.step]: [...resendTransitions(true), { actions: `${p}rejectLocked` }],
                },
              },
            },
          },
          // Resending is allowed once the cooldown has run: a durable timer, no clock reads.
          resendGate: {
            initial: 'coolingDown',
            states: {
              coolingDown: { entry: `${p}closeResend`, after: { [`${p}resendCooldown`]: 'open' } },
              open: { entry: `${p}openResend` },
            },
          },
        },
      },
      expired: {
        entry: `${p}expire`,
        on: {
          [options.step]: [...resendTransitions(false), { actions: `${p}rejectExpired` }],
        },
      },
      verified: {
        type: 'final',
        output: ({ context }: Args) => ({
          outcome: 'verified',
          recipient: options.recipient(context as unknown as TContext),
        }),
      },
      failed: {
        type: 'final',
        output: ({ context }: Args) => ({
          outcome: 'failed',
          error: context.codeChallenge.failure,
        }),
      },
      // Only by SMS: a journey that texts a code handles `fragmentRefused` before its next state.
      ...(texts
        ? {
            refused: {
              type: 'final',
              output: ({ context }: Args) => ({
                outcome: 'refused',
                error: context.codeChallenge.refusal,
              }),
            },
          }
        : {}),
    },
  };

  const implementations = {
    actors: {
      issueOtp: activity('issueOtp'),
      verifyOtp: activity('verifyOtp'),
      deliverMessage: activity('deliverMessage'),
    },
    guards: prefixed(prefix, {
      wantsResend: ({ event }: Args) => event.type === options.step && 'resend' in event.input,
      resendLimitReached: ({ context }: Args) =>
        context.codeChallenge.codesIssued >= context.settings.maxCodesPerRun,
      resendOpen: ({ context }: Args) => context.codeChallenge.resendOpen,
      tooManyAttempts: ({ event }: Args) => errorOf(event).code === 'too_many_attempts',
      codeExpired: ({ event }: Args) => errorOf(event).code === 'code_expired',
      // A wrong or used code (a business outcome): the customer tries again. An activity that ran
      // out of retries is no answer about the code: the challenge fails.
      codeRefused: ({ event }: Args) => errorOf(event).business,
      sendRefused: ({ event }: Args) =>
        errorOf(event).business && SEND_REFUSALS.has(errorOf(event).code),
    }),
    actions: prefixed(prefix, {
      begin: assign(({ context }: Args) => ({
        codeChallenge: {
          codesIssued: 0,
          attemptsLeft: context.settings.maxCodeAttempts,
          status: 'sent' as const,
          deliveryFailed: false,
          resendOpen: false,
        },
      })),
      codeIssued: assign(({ context, event }: Args) => ({
        ...slice(context, {
          ...event.output,
          codesIssued: context.codeChallenge.codesIssued + 1,
          attemptsLeft: context.settings.maxCodeAttempts,
          status: 'sent',
          deliveryFailed: false,
        }),
        stepError: undefined,
      })),
      deliveryFailed: assign(({ context }: Args) => slice(context, { deliveryFailed: true })),
      refuse: assign(({ context, event }: Args) => {
        const error = errorOf(event);
        return slice(context, {
          refusal: stepError(error.code, {
            ...(options.recipientField ? { path: `/${options.recipientField}` } : {}),
            ...(error.detail ? { detail: error.detail } : {}),
          }),
        });
      }),
      openResend: assign(({ context }: Args) => slice(context, { resendOpen: true })),
      closeResend: assign(({ context }: Args) => slice(context, { resendOpen: false })),
      lock: assign(({ context }: Args) => ({
        ...slice(context, { attemptsLeft: 0, status: 'locked' }),
        stepError: TOO_MANY_ATTEMPTS,
      })),
      expire: assign(({ context }: Args) => slice(context, { status: 'expired' })),
      countWrongCode: assign(({ context, event }: Args) => {
        const error = errorOf(event);
        const attemptsLeft = Number(
          error.detail?.attemptsLeft ?? context.codeChallenge.attemptsLeft - 1,
        );
        return {
          ...slice(context, { attemptsLeft }),
          stepError: stepError(error.code, {
            message: error.message,
            path: '/code',
            detail: { attemptsLeft },
          }),
        };
      }),
      clearStepError: assign({ stepError: undefined }),
      rejectResendLimit: assign({ stepError: RESEND_LIMIT }),
      rejectResendDuringCooldown: assign(({ context }: Args) => ({
        stepError: {
          ...RESEND_COOLDOWN,
          detail: { retryAt: context.codeChallenge.resendAvailableAt },
        },
      })),
      rejectLocked: assign({ stepError: TOO_MANY_ATTEMPTS }),
      rejectExpired: assign({ stepError: CODE_EXPIRED }),
      fail: assign(({ context }: Args, params: { code: ErrorCode }) =>
        slice(context, { failure: journeyFailure(params.code) }),
      ),
      requestResend: raise({ type: event.resend }),
      raiseVerified: raise({ type: event.verified }),
      raiseExpired: raise({ type: event.expired }),
      raiseFailed: raise({ type: event.failed }),
    }),
    delays: prefixed(prefix, {
      codeTtl: ({ context }: Args) => context.settings.codeTtlMs,
      resendCooldown: ({ context }: Args) => context.settings.resendCooldownMs,
    }),
  };

  const verifyStep = step<Args['context']>({
    name: options.step,
    input: z.union([
      z.strictObject({ code: secret.oneTimeCode(digits) }),
      z.strictObject({ resend: z.literal(true) }),
      ...(options.link ? [z.strictObject({ link: secret.linkToken() })] : []),
    ]),
    data: (context) => ({
      [options.channel === 'email' ? 'email' : 'phone']: options.recipient(
        context as unknown as TContext,
      ),
      codeLength: digits,
      codeStatus: context.codeChallenge.status,
      expiresAt: context.codeChallenge.expiresAt,
      resendAvailableAt: context.codeChallenge.resendAvailableAt,
      attemptsLeft: context.codeChallenge.attemptsLeft,
    }),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });

  const fragment: Fragment<typeof implementations> = {
    name: options.name,
    state,
    steps: {
      'live.code.awaiting': verifyStep,
      'live.code.locked': verifyStep,
      expired: verifyStep,
    },
    implementations,
  };
  return fragment;
}
