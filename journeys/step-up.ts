import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  deliveringNotice,
  failOnActivityError,
  type JourneyFailure,
  type JourneyInput,
  type JourneyResult,
  journeyEnds,
  journeySetup,
  outputOf,
  rejectAt,
  results,
  type SessionRef,
  type StepError,
  secret,
  startFields,
  step,
} from '../src/journey-kit/index.js';
import {
  type FactorChallengeHost,
  secondFactorChallenges,
  secondFactorMethods,
} from './fragments/factor-challenges.js';

/**
 * Step-up: a signed-in customer proves more before a sensitive action (OIDC `acr_values` and
 * `max_age`). Started from the session with what is asked — an assurance level (`aal: 2`), a
 * factor (`factor`), or a recent authentication (`max_age`) — it challenges a factor of the
 * account that meets it and raises **the same** session: its aal, its amr, that factor's time.
 * The session's token is replaced, and the old one stops working at once. A journey that demands
 * more than a session has answers 403 with a link here (`step_up`).
 */

const settings = z.object({});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  aal: z.literal(2).optional(),
  max_age: z.number().int().nonnegative().optional(),
  factor: z.enum(secondFactorMethods).optional(),
  return_to: startFields.returnTo().optional(),
  ui_locales: startFields.uiLocales().optional(),
});
type Start = z.infer<typeof start>;

type Events =
  | { type: 'password'; input: { password: string } }
  | { type: 'passkey'; input: { credential: unknown } | { method: string } }
  | { type: 'totp'; input: { code: string } | { method: string } }
  | { type: 'recovery-code'; input: { code: string } | { method: string } }
  | { type: 'sms-code'; input: { code: string } | { resend: true } | { method: string } };

interface Context extends FactorChallengeHost {
  settings: Settings;
  session: SessionRef;
  requester?: string;
  wants: { aal?: 2; factor?: (typeof secondFactorMethods)[number] };
  /** What the step-up proved: added to the session. */
  proven?: { aal: number; amr: string[] };
  result?: JourneyResult;
  stepError?: StepError;
  failure?: JourneyFailure;
}

const secondFactor = secondFactorChallenges();
/**
 * What each proof adds, in RFC 8176 terms, and only that: the raised session's amr and auth_time
 * describe this step-up, so a code (TOTP or recovery) is `otp` alone, not the password it follows.
 */
const CODE = { aal: 2, amr: ['otp'] };
/** A passkey with user verification: something you have, and something you are or know. */
const PASSKEY = { aal: 2, amr: ['hwk', 'user', 'mfa'] };
/** A texted code (a restricted authenticator): `sms`, beside the password the session has. */
const SMS = { aal: 2, amr: ['sms'] };

export const stepUpMachine = journeySetup({
  fragments: [secondFactor],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    listFactors: activity('listFactors'),
    verifyPassword: activity('verifyPassword'),
    raiseSession: activity('raiseSession'),
    deliverMessage: activity('deliverMessage'),
  },
  guards: {
    asksMissingFactor: ({ context }) =>
      context.wants.factor !== undefined && !context.factors.includes(context.wants.factor),
    asksRecoveryCode: ({ context }) => context.wants.factor === 'recovery_code',
    asksSms: ({ context }) => context.wants.factor === 'sms',
    asksTotp: ({ context }) => context.wants.factor === 'totp',
    hasRecoveryCodes: ({ context }) => context.factors.includes('recovery_code'),
    asksSecondFactor: ({ context }) =>
      context.wants.aal === 2 || context.wants.factor !== undefined,
    hasNotice: ({ context }) => context.factorNotice !== undefined,
  },
  actions: {
    codeVerified: assign({ proven: CODE }),
    smsVerified: assign({ proven: SMS }),
    passkeyVerified: assign({ proven: PASSKEY }),
    sessionRaised: assign({
      result: ({ event }) => results.raisedSession(outputOf('raiseSession', event)),
    }),
    rejectPassword: rejectAt('/password', { withDetail: true }),
  },
}).createMachine({
  id: 'stepUp',
  output: ({ event }) => event.output,
  context: ({ input }) => {
    const session = input.session as SessionRef;
    return {
      journeyId: input.journeyId,
      settings: input.settings,
      session,
      userId: session.userId,
      factors: [],
      ...(input.requester ? { requester: input.requester } : {}),
      ...(input.start.ui_locales ? { locales: input.start.ui_locales } : {}),
      wants: {
        ...(input.start.aal ? { aal: input.start.aal } : {}),
        ...(input.start.factor ? { factor: input.start.factor } : {}),
      },
    };
  },
  initial: 'listingFactors',
  states: {
    listingFactors: {
      invoke: {
        src: 'listFactors',
        input: ({ context }) => ({ session: context.session }),
        // A factor asked for is the only one offered or taken: the challenges switch only to
        // factors in this list, so `{ method }` cannot turn to another (OIDC acr_values).
        onDone: {
          target: 'choosing',
          actions: assign({
            factors: ({ context, event }) =>
              event.output.factors.filter(
                (factor) => context.wants.factor === undefined || factor === context.wants.factor,
              ),
          }),
        },
        onError: failOnActivityError('sign_in_not_completed'),
      },
    },
    // The strongest proof the account can give that meets what is asked; a recent sign-in alone
    // (max_age) takes the password when the account has no second factor.
    choosing: {
      always: [
        {
          guard: 'asksMissingFactor',
          target: 'failed',
          actions: { type: 'failWith', params: { code: 'factor_not_enrolled' } },
        },
        { guard: 'asksRecoveryCode', target: 'secondFactor.recoveryCode' },
        { guard: 'asksTotp', target: 'secondFactor.totp' },
        { guard: 'asksSms', target: 'secondFactor.sms' },
        { guard: 'hasPasskey', target: 'secondFactor.passkey' },
        { guard: 'hasTotp', target: 'secondFactor.totp' },
        { guard: 'hasSms', target: 'secondFactor.sms' },
        { guard: 'hasRecoveryCodes', target: 'secondFactor.recoveryCode' },
        {
          guard: 'asksSecondFactor',
          target: 'failed',
          actions: { type: 'failWith', params: { code: 'second_factor_required' } },
        },
        { target: 'password' },
      ],
    },
    password: {
      on: { password: { target: 'checkingPassword', actions: assign({ stepError: undefined }) } },
    },
    checkingPassword: {
      invoke: {
        src: 'verifyPassword',
        input: ({ context, event }) => ({
          userId: context.session.userId,
          password: (event as Extract<Events, { type: 'password' }>).input.password,
          ...(context.requester ? { requester: context.requester } : {}),
        }),
        onDone: { target: 'raising', actions: assign({ proven: { aal: 1, amr: ['pwd'] } }) },
        onError: [
          { guard: 'businessFailure', target: 'password', actions: 'rejectPassword' },
          {
            target: 'failed',
            actions: { type: 'failWith', params: { code: 'sign_in_not_completed' } },
          },
        ],
      },
    },
    secondFactor: {
      initial: 'totp',
      states: {
        ...secondFactor.states({ verified: '#stepUp.raising', failed: '#stepUp.failed' }),
      },
    },
    raising: {
      invoke: {
        src: 'raiseSession',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          session: context.session,
          aal: context.proven?.aal ?? 1,
          amr: context.proven?.amr ?? [],
        }),
        onDone: [
          { guard: 'hasNotice', target: 'tellingOwner', actions: 'sessionRaised' },
          { target: 'completed', actions: 'sessionRaised' },
        ],
        // Logged out or expired while stepping up: nothing left to raise.
        onError: failOnActivityError('sign_in_not_completed'),
      },
    },
    tellingOwner: deliveringNotice((context) => context.factorNotice),
    ...journeyEnds,
  },
});

export const stepUp = defineJourney({
  id: 'step-up',
  version: 1,
  title: 'Prove more for a sensitive action: the same session, raised',
  machine: stepUpMachine,
  settings,
  start: { input: start, session: () => ({}) },
  steps: {
    password: step<Context>({
      name: 'password',
      input: z.strictObject({ password: secret.password() }),
      data: () => ({ reason: 'reauthentication' }),
    }),
  },
  fragments: {
    ...secondFactor.fragments('secondFactor'),
  },
});
