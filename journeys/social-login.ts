import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  deliveringNotice,
  failOnActivityError,
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
import { type FactorChallengeHost, secondFactorChallenges } from './fragments/factor-challenges.js';

/**
 * Sign-in (and sign-up) with an upstream OpenID Connect provider: the browser goes to the provider
 * (`upstream`'s data names where), comes back with a code, and the worker redeems and checks it
 * (src/activities/social/social-sign-in.ts). An identity already linked signs its account in; one
 * whose verified address no account has makes an account; one whose address an account has is
 * linked only when the provider is trusted for that and both sides verified the address, otherwise
 * the account's owner signs in with its password first. An account with a second factor is asked
 * for it, as after a password: a provider's sign-in is one factor (RFC 8176 `fed`).
 */

const settings = z.object({});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  /** The provider's id in SOCIAL_PROVIDERS (`google`). */
  provider: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'A provider id'),
  client_id: startFields.clientId().optional(),
  return_to: startFields.returnTo().optional(),
  ui_locales: startFields.uiLocales().optional(),
});
type Start = z.infer<typeof start>;

// The provider's answer at its redirect URI, as the hosted pages pass it on: the code (a credential,
// parked in the vault), the state, and `iss` (RFC 9207); or its error.
const upstreamInput = z.union([
  z.strictObject({
    code: z
      .string()
      .min(1)
      .max(2048)
      .regex(/^[\x21-\x7e]+$/)
      .meta({ 'x-parcours-secret': 'oneTimeCode', writeOnly: true }),
    state: z.string().min(1).max(256),
    iss: z.string().max(2048).optional(),
  }),
  z.strictObject({
    error: z.string().min(1).max(128),
    error_description: z.string().max(1024).optional(),
    state: z.string().max(256).optional(),
  }),
]);
const passwordInput = z.strictObject({ password: secret.password() });

type Events =
  | {
      type: 'upstream';
      input: { code: string; state: string; iss?: string } | { error: string; state?: string };
    }
  | { type: 'password'; input: { password: string } }
  | { type: 'passkey'; input: { credential: unknown } | { method: string } }
  | { type: 'totp'; input: { code: string } | { method: string } }
  | { type: 'recovery-code'; input: { code: string } | { method: string } }
  | { type: 'sms-code'; input: { code: string } | { resend: true } | { method: string } };

interface Context extends FactorChallengeHost {
  settings: Settings;
  provider: string;
  clientId?: string;
  authorizationUrl?: string;
  /** The address an account has, whose owner proves it before the identity is linked. */
  email?: string;
  amr: string[];
  session?: IssuedSession;
  result?: JourneyResult;
  stepError?: StepError;
  failure?: JourneyFailure;
}

const secondFactor = secondFactorChallenges();
/** A provider's sign-in: federated, one factor (RFC 8176). */
const FED = ['fed'];

export const socialLoginMachine = journeySetup({
  fragments: [secondFactor],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    beginSocialSignIn: activity('beginSocialSignIn'),
    completeSocialSignIn: activity('completeSocialSignIn'),
    linkSocialIdentity: activity('linkSocialIdentity'),
    verifyPassword: activity('verifyPassword'),
    createSession: activity('createSession'),
    deliverMessage: activity('deliverMessage'),
  },
  guards: {
    provesAccount: ({ event }) =>
      outputOf('completeSocialSignIn', event).outcome === 'prove_account',
    hasSecondFactor: ({ context }) =>
      context.factors.some((factor) => ['totp', 'webauthn', 'sms'].includes(factor)),
    hasNotice: ({ context }) => context.factorNotice !== undefined,
  },
  actions: {
    codeVerified: assign({ amr: ['fed', 'otp', 'mfa'] }),
    smsVerified: assign({ amr: ['fed', 'sms', 'mfa'] }),
    passkeyVerified: assign({ amr: ['fed', 'hwk', 'user', 'mfa'] }),
    clearStepError: assign({ stepError: undefined }),
    rejectPassword: rejectAt('/password', { withDetail: true }),
    sessionOpened: assign(({ context, event }) => {
      const session = outputOf('createSession', event);
      return { session, result: results.newSession({ id: context.userId as string }, session) };
    }),
  },
}).createMachine({
  id: 'social-login',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    journeyId: input.journeyId,
    settings: input.settings,
    provider: input.start.provider,
    ...(input.start.client_id ? { clientId: input.start.client_id } : {}),
    ...(input.requester ? { requester: input.requester } : {}),
    ...(input.start.ui_locales ? { locales: input.start.ui_locales } : {}),
    factors: [],
    amr: [],
  }),
  initial: 'authorizing',
  states: {
    authorizing: {
      invoke: {
        src: 'beginSocialSignIn',
        input: ({ context }) => ({ journeyId: context.journeyId, provider: context.provider }),
        onDone: {
          target: 'upstream',
          actions: assign({ authorizationUrl: ({ event }) => event.output.authorizationUrl }),
        },
        onError: failOnActivityError('social_sign_in_failed'),
      },
    },
    // The browser is at the provider; its answer comes back here.
    upstream: {
      on: { upstream: { target: 'checking', actions: 'clearStepError' } },
    },
    checking: {
      invoke: {
        src: 'completeSocialSignIn',
        input: ({ context, event }) => {
          const answer = (event as Extract<Events, { type: 'upstream' }>).input;
          return {
            journeyId: context.journeyId,
            provider: context.provider,
            ...answer,
            state: answer.state ?? '',
          };
        },
        onDone: [
          {
            guard: 'provesAccount',
            target: 'password',
            actions: assign(({ event }) => ({
              email: (outputOf('completeSocialSignIn', event) as { email: string }).email,
            })),
          },
          {
            target: 'signedIn',
            actions: assign(({ event }) => {
              const done = outputOf('completeSocialSignIn', event) as {
                userId: string;
                factors: string[];
              };
              return { userId: done.userId, factors: done.factors, amr: FED };
            }),
          },
        ],
        onError: failOnActivityError('social_sign_in_failed'),
      },
    },
    // An account has the provider's address: its owner signs in to it before the identity is
    // linked (an unverified address never takes an account over).
    password: {
      on: { password: { target: 'checkingPassword', actions: 'clearStepError' } },
    },
    checkingPassword: {
      invoke: {
        src: 'verifyPassword',
        input: ({ context, event }) => ({
          identifier: context.email as string,
          password: (event as { input: { password: string } }).input.password,
          ...(context.requester ? { requester: context.requester } : {}),
        }),
        onDone: {
          target: 'linking',
          actions: assign(({ event }) => {
            const { userId, factors } = outputOf('verifyPassword', event);
            // The password and the provider: two proofs, yet neither a second factor.
            return { userId, factors, amr: ['fed', 'pwd'] };
          }),
        },
        onError: [
          { guard: 'businessFailure', target: 'password', actions: 'rejectPassword' },
          {
            target: 'failed',
            actions: { type: 'failWith', params: { code: 'sign_in_not_completed' } },
          },
        ],
      },
    },
    linking: {
      invoke: {
        src: 'linkSocialIdentity',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          userId: context.userId as string,
        }),
        onDone: 'signedIn',
        onError: failOnActivityError('social_sign_in_failed'),
      },
    },
    signedIn: {
      always: [{ guard: 'hasSecondFactor', target: 'secondFactor' }, { target: 'openingSession' }],
    },
    secondFactor: secondFactor.challenge({
      verified: '#social-login.openingSession',
      failed: '#social-login.failed',
    }),
    openingSession: openingSession((context: Context) => ({
      journeyId: context.journeyId,
      userId: context.userId as string,
      aal: context.amr.includes('mfa') ? 2 : 1,
      amr: context.amr,
      ...(context.clientId ? { clientId: context.clientId } : {}),
    })),
    tellingOwner: deliveringNotice((context) => context.factorNotice),
    ...journeyEnds,
  },
});

export const socialLogin = defineJourney({
  id: 'social-login',
  version: 1,
  title: 'Sign in or sign up with an upstream OpenID Connect provider, linked safely',
  machine: socialLoginMachine,
  settings,
  start: { input: start },
  steps: {
    upstream: step<Context>({
      name: 'upstream',
      input: upstreamInput,
      data: (context) => ({
        provider: context.provider,
        authorization_url: context.authorizationUrl,
      }),
    }),
    password: step<Context>({
      name: 'password',
      input: passwordInput,
      data: (context) => ({ email: context.email, provider: context.provider }),
    }),
  },
  fragments: secondFactor.fragments('secondFactor'),
});
