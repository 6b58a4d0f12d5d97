import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  deliveringNotice,
  emailField,
  type IssuedSession,
  type JourneyFailure,
  type JourneyInput,
  type JourneyResult,
  journeyEnds,
  journeySetup,
  openingSession,
  outputOf,
  rejectAt,
  results,
  type StepError,
  secret,
  startFields,
  step,
} from '../src/journey-kit/index.js';
import {
  type CodeChallengeHost,
  codeChallenge,
  codeChallengeHost,
  codeChallengeSettings,
} from './fragments/code-challenge.js';
import {
  type FactorChallengeHost,
  passkeyAssertion,
  secondFactorChallenges,
} from './fragments/factor-challenges.js';

/**
 * Sign-in, identifier first: the email address, then the password, then the second factor the
 * account has enrolled, then a session with what was proven (aal, RFC 8176 amr). A page that asks
 * for the address and the password together submits both at `identify`: one step, one round trip.
 *
 * Nothing in the answers tells whether an address has an account: the password step comes for
 * every address, and a wrong password and an unknown address get the same answer after the same
 * work (`verifyPassword`, which also throttles per address and per requester).
 */

const settings = codeChallengeSettings.extend({
  /**
   * An email code as the second step of a password sign-in, for accounts with no second factor
   * (`when_no_other_factor`), or never. It proves control of the inbox, not a second factor: NIST
   * SP 800-63B §5.1.3.1 does not accept email as an out-of-band authenticator, so the session
   * stays aal 1.
   */
  emailCodeFactor: z.enum(['never', 'when_no_other_factor']).default('never'),
  /**
   * Every account must have a second factor: one without gets its session (aal 1) with
   * `required: { journey: "mfa-enrolment" }`, so the app has the customer enrol one before anything
   * else (Kratos' "AAL2 required" flow).
   */
  requireMfa: z.boolean().default(false),
  /**
   * Whether a texted code counts as a second factor for aal 2. Text messages are a restricted
   * authenticator (NIST SP 800-63B-4 §3.1.3.3): a deployment may refuse them for aal 2, and a
   * sign-in with one then stays aal 1 (amr `pwd`, `sms`).
   */
  smsForAal2: z.boolean().default(true),
});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  /** The registered app signing the customer in (OAuth's client id): counted, and its profiling asked. */
  client_id: startFields.clientId().optional(),
  login_hint: startFields.loginHint().optional(),
  return_to: startFields.returnTo().optional(),
  ui_locales: startFields.uiLocales().optional(),
});
type Start = z.infer<typeof start>;

// The address (with its password, on a page that asks for both); or a discoverable passkey, which
// names its account itself (no address typed).
const identifyInput = z.union([
  z.strictObject({ email: emailField() }),
  z.strictObject({ email: emailField(), password: secret.password() }),
  z.strictObject({ method: z.literal('passkey') }),
]);
const passkeySignInInput = z.strictObject({ credential: passkeyAssertion });
const passwordInput = z.strictObject({ password: secret.password() });

type Events =
  | {
      type: 'identify';
      input: { email: string } | { email: string; password: string } | { method: 'passkey' };
    }
  | { type: 'password'; input: { password: string } }
  | { type: 'passkey'; input: { credential: unknown } | { method: string } }
  | { type: 'passkey-sign-in'; input: { credential: AuthenticationResponseJSON } }
  | { type: 'totp'; input: { code: string } | { method: string } }
  | { type: 'recovery-code'; input: { code: string } | { method: string } }
  | { type: 'sms-code'; input: { code: string } | { resend: true } | { method: string } }
  | { type: 'email-code'; input: { code: string } | { resend: true } };

interface Context extends FactorChallengeHost, CodeChallengeHost {
  settings: Settings;
  requester?: string;
  loginHint?: string;
  clientId?: string;
  email?: string;
  /** RFC 8176 methods proven so far. */
  amr: string[];
  /** The account's factors were reset: the session comes with a new one required. */
  mustEnrol?: boolean;
  session?: IssuedSession;
  result?: JourneyResult;
  stepError?: StepError;
  failure?: JourneyFailure;
}

const emailCode = codeChallenge({
  name: 'email-code',
  channel: 'email',
  step: 'email-code',
  purpose: 'sign-in',
  template: 'sign-in-code',
  recipient: (context: Context) => context.email as string,
});
const secondFactor = secondFactorChallenges();
/** A passkey with user verification: something you have and something you are or know (aal2). */
const PASSKEY_AMR = ['hwk', 'user'];
/** What a second factor proves (RFC 8176): a recovery code is a one-time look-up secret. */
const MFA_AMR = ['pwd', 'otp', 'mfa'];

export const loginMachine = journeySetup({
  fragments: [emailCode, secondFactor],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    verifyPassword: activity('verifyPassword'),
    beginPasskeySignIn: activity('beginPasskeySignIn'),
    verifyPasskey: activity('verifyPasskey'),
    createSession: activity('createSession'),
    deliverMessage: activity('deliverMessage'),
  },
  guards: {
    // Recovery codes alone ask for nothing: they stand in for a factor the account has.
    hasSecondFactor: ({ event }) =>
      outputOf('verifyPassword', event).factors.some(
        (factor) => factor === 'totp' || factor === 'webauthn' || factor === 'sms',
      ),
    asksEmailCode: ({ context }) => context.settings.emailCodeFactor === 'when_no_other_factor',
    givesPassword: ({ event }) =>
      event.type === 'identify' && 'password' in event.input && 'email' in event.input,
    choosesPasskey: ({ event }) =>
      event.type === 'identify' && 'method' in event.input && event.input.method === 'passkey',
    passkeyWithoutVerification: ({ event }) => !outputOf('verifyPasskey', event).userVerified,
    hasNotice: ({ context }) => context.factorNotice !== undefined,
  },
  actions: {
    codeVerified: assign({ amr: MFA_AMR }),
    // A restricted authenticator: `mfa` (aal 2) only where the deployment takes it so.
    smsVerified: assign({
      amr: ({ context }) => (context.settings.smsForAal2 ? ['pwd', 'sms', 'mfa'] : ['pwd', 'sms']),
    }),
    passkeyVerified: assign({ amr: ['pwd', 'hwk', 'user', 'mfa'] }),
    clearStepError: assign({ stepError: undefined }),
    rejectPasskey: rejectAt('/credential'),
    rejectPassword: rejectAt('/password', { withDetail: true }),
    sessionOpened: assign(({ context, event }) => {
      const session = outputOf('createSession', event);
      // A reset removed the account's factors: a new one comes first (factor-reset@1).
      const required = context.mustEnrol
        ? { journey: 'mfa-enrolment', reason: 'factors_reset' }
        : context.settings.requireMfa && session.aal < 2
          ? { journey: 'mfa-enrolment', reason: 'mfa_required' }
          : undefined;
      return {
        session,
        result: results.newSession({ id: context.userId as string }, session, required),
      };
    }),
    passwordVerified: assign(({ event }) => {
      const { userId, factors, mustEnrol } = outputOf('verifyPassword', event);
      return { userId, factors, amr: ['pwd'], stepError: undefined, mustEnrol: mustEnrol === true };
    }),
  },
}).createMachine({
  id: 'login',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    ...codeChallengeHost(input),
    ...(input.start.login_hint ? { loginHint: input.start.login_hint } : {}),
    ...(input.start.client_id ? { clientId: input.start.client_id } : {}),
    factors: [],
    amr: [],
  }),
  initial: 'identify',
  states: {
    identify: {
      on: {
        identify: [
          { guard: 'choosesPasskey', target: 'passkeySignIn', actions: 'clearStepError' },
          // Address and password at once: checked as the password step checks them.
          {
            guard: 'givesPassword',
            target: 'checkingPassword',
            actions: assign(({ event }) => ({
              email: (event.input as { email: string }).email,
              stepError: undefined,
            })),
          },
          {
            target: 'password',
            actions: assign(({ event }) => ({
              email: (event.input as { email: string }).email,
              stepError: undefined,
            })),
          },
        ],
      },
    },
    // A discoverable passkey: the browser offers the customer's passkeys for this site, and the
    // one chosen names its account. With user verification it proves two factors at once.
    passkeySignIn: {
      initial: 'beginning',
      states: {
        beginning: {
          invoke: {
            src: 'beginPasskeySignIn',
            input: ({ context }) => ({ journeyId: context.journeyId }),
            onDone: {
              target: 'awaiting',
              actions: assign({ passkeyOptions: ({ event }) => event.output.options }),
            },
            onError: {
              target: '#login.failed',
              actions: { type: 'failWith', params: { code: 'sign_in_not_completed' } },
            },
          },
        },
        awaiting: {
          on: { 'passkey-sign-in': { target: 'checking', actions: 'clearStepError' } },
        },
        checking: {
          invoke: {
            src: 'verifyPasskey',
            input: ({ context, event }) => ({
              journeyId: context.journeyId,
              credential: (event as Extract<Events, { type: 'passkey-sign-in' }>).input.credential,
            }),
            onDone: {
              target: '#login.openingSession',
              actions: assign(({ event }) => ({
                userId: event.output.userId,
                amr: PASSKEY_AMR,
                stepError: undefined,
              })),
            },
            onError: [
              // The challenge is spent: a fresh one for the next try.
              { guard: 'businessFailure', target: 'beginning', actions: 'rejectPasskey' },
              {
                target: '#login.failed',
                actions: { type: 'failWith', params: { code: 'sign_in_not_completed' } },
              },
            ],
          },
        },
      },
    },
    password: {
      on: {
        password: { target: 'checkingPassword', actions: assign({ stepError: undefined }) },
      },
    },
    checkingPassword: {
      invoke: {
        src: 'verifyPassword',
        input: ({ context, event }) => ({
          identifier: context.email as string,
          // The password step's, or the identify step's that came with the address.
          password: (event as { input: { password: string } }).input.password,
          ...(context.requester ? { requester: context.requester } : {}),
        }),
        onDone: [
          { guard: 'hasSecondFactor', target: 'secondFactor', actions: 'passwordVerified' },
          { guard: 'asksEmailCode', target: 'emailCode', actions: 'passwordVerified' },
          { target: 'openingSession', actions: 'passwordVerified' },
        ],
        onError: [
          { guard: 'businessFailure', target: 'password', actions: 'rejectPassword' },
          {
            target: 'failed',
            actions: { type: 'failWith', params: { code: 'sign_in_not_completed' } },
          },
        ],
      },
    },
    // The account's passkey first, then its TOTP; the customer may turn to another factor the
    // account has (a recovery code) and back.
    secondFactor: secondFactor.challenge({
      verified: '#login.openingSession',
      failed: '#login.failed',
    }),
    // Proves the inbox, not a second factor: the session stays aal 1 (no `mfa`).
    emailCode: {
      ...emailCode.state,
      onDone: [
        { guard: 'fragmentFailed', target: 'failed', actions: 'failWithFragmentError' },
        { target: 'openingSession', actions: assign({ amr: ['pwd', 'otp'] }) },
      ],
    },
    openingSession: openingSession((context: Context) => ({
      journeyId: context.journeyId,
      userId: context.userId as string,
      aal: context.amr.includes('mfa') || context.amr.includes('hwk') ? 2 : 1,
      amr: context.amr,
      ...(context.clientId ? { clientId: context.clientId } : {}),
    })),
    // Signed in and answered (`finishing`); the run lives on until the owner's notice (a recovery
    // code was used) is out, so the customer never waits on a mail server.
    tellingOwner: deliveringNotice((context) => context.factorNotice),
    ...journeyEnds,
  },
});

export const login = defineJourney({
  id: 'login',
  version: 1,
  title: 'Sign in with email and password, and a second factor when enrolled',
  machine: loginMachine,
  settings,
  start: { input: start },
  steps: {
    identify: step<Context>({
      name: 'identify',
      input: identifyInput,
      data: (context) => (context.loginHint ? { email: context.loginHint } : {}),
    }),
    'passkeySignIn.awaiting': step<Context>({
      name: 'passkey-sign-in',
      input: passkeySignInInput,
      data: (context) => ({ factor: 'webauthn', options: context.passkeyOptions }),
    }),
    password: step<Context>({
      name: 'password',
      input: passwordInput,
      data: (context) => ({ email: context.email }),
    }),
  },
  fragments: {
    emailCode,
    ...secondFactor.fragments('secondFactor'),
  },
});
