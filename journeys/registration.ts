import { assign } from 'xstate';
import type { ConsentRequest } from '../src/consent/consent-request.js';
import {
  activity,
  defineJourney,
  failOnActivityError,
  type IssuedSession,
  type JourneyInput,
  journeyEnds,
  journeySetup,
  outputOf,
  results,
  step,
  stepError,
} from '../src/journey-kit/index.js';
import { codeChallengeHost } from './fragments/code-challenge.js';
import {
  type ConsentStepInput,
  consentRefusal,
  consentStepInput,
  consentStepSchema,
} from './parts/consent-step.js';
import {
  credentialsInput,
  emailCode,
  type Settings,
  type Start,
  settings,
  start,
  termsInput,
  type Context as V2Context,
  type Events as V2Events,
} from './registration-v2.js';

/**
 * Registration: email + password, the email proven by the shared code challenge, terms accepted,
 * then a decision on each purpose the data is used for (when the operator declared any), then an
 * account, its consent records and a session. registration@2 (registration-v2.ts) is the same
 * journey without the consent step, kept while its runs are open.
 */

type Events = V2Events | { type: 'consent'; input: ConsentStepInput };

interface Context extends V2Context {
  request?: ConsentRequest;
  decisions?: ConsentStepInput;
}

export const registrationMachine = journeySetup({
  fragments: [emailCode],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    consentToAsk: activity('consentToAsk'),
    checkConsent: activity('checkConsent'),
    createAccount: activity('createAccount'),
    createSession: activity('createSession'),
  },
  guards: {
    currentTerms: ({ context, event }) =>
      event.type === 'terms' && event.input.policyVersion === context.settings.termsVersion,
    nothingToAsk: ({ event }) => outputOf('consentToAsk', event).purposes.length === 0,
    decisionsRefused: ({ event }) => outputOf('checkConsent', event).rejected !== undefined,
  },
  actions: {
    clearStepError: assign({ stepError: undefined }),
    rejectOutdatedTerms: assign(({ context }) => ({
      stepError: stepError('policy_version_mismatch', {
        message: `Accept the current terms (version ${context.settings.termsVersion})`,
        path: '/policyVersion',
      }),
    })),
    showRequest: assign({ request: ({ event }) => outputOf('consentToAsk', event) }),
    takeDecisions: assign({
      decisions: ({ event }) => (event.type === 'consent' ? event.input : undefined),
      stepError: undefined,
    }),
    // Every refusal at once, each with its path; the step is shown again as it stands now.
    refuseDecisions: assign({
      stepError: ({ event }) => consentRefusal(outputOf('checkConsent', event).rejected),
      decisions: undefined,
    }),
  },
}).createMachine({
  id: 'registration',
  // XState v5 gives a machine no output of its own: pass on the output of the final state reached.
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    ...codeChallengeHost(input),
    ...(input.start.login_hint ? { loginHint: input.start.login_hint } : {}),
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
      ...emailCode.state,
      onDone: [
        { guard: 'fragmentFailed', target: 'failed', actions: 'failWithFragmentError' },
        { target: 'terms' },
      ],
    },
    terms: {
      on: {
        terms: [
          { guard: 'currentTerms', target: 'askingConsent', actions: 'clearStepError' },
          { actions: 'rejectOutdatedTerms' },
        ],
      },
    },
    askingConsent: {
      invoke: {
        src: 'consentToAsk',
        input: ({ context }) => ({ locales: context.locales ?? [] }),
        onDone: [
          { guard: 'nothingToAsk', target: 'creatingAccount' },
          { target: 'consent', actions: 'showRequest' },
        ],
        onError: failOnActivityError('account_not_created'),
      },
    },
    consent: {
      on: { consent: { target: 'checkingConsent', actions: 'takeDecisions' } },
    },
    checkingConsent: {
      invoke: {
        src: 'checkConsent',
        input: ({ context }) => ({
          locales: context.locales ?? [],
          ...(context.decisions as ConsentStepInput),
        }),
        onDone: [
          { guard: 'decisionsRefused', target: 'askingConsent', actions: 'refuseDecisions' },
          { target: 'creatingAccount' },
        ],
        onError: failOnActivityError('account_not_created'),
      },
    },
    creatingAccount: {
      invoke: {
        src: 'createAccount',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          identifiers: [{ type: 'email' as const, value: context.email as string, verified: true }],
          passwordHash: context.passwordHash as string,
          consents: [{ purpose: 'terms', policyVersion: context.settings.termsVersion }],
          // Checked again where the account is created: what is recorded is what is in effect.
          ...(context.decisions
            ? {
                consent: {
                  ...context.decisions,
                  locales: context.locales ?? [],
                  step: 'consent',
                },
              }
            : {}),
        }),
        onDone: {
          target: 'openingSession',
          actions: assign({ userId: ({ event }) => event.output.userId, passwordHash: undefined }),
        },
        onError: failOnActivityError('account_not_created'),
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
          actions: { type: 'failWith', params: { code: 'session_not_opened' } },
        },
      },
    },
    completed: {
      type: 'final',
      output: ({ context }) =>
        results.newSession({ id: context.userId as string }, context.session as IssuedSession),
    },
    failed: journeyEnds.failed,
  },
});

export const registration = defineJourney({
  id: 'registration',
  version: 3,
  title: 'Sign up with email and password',
  machine: registrationMachine,
  settings,
  start: { input: start },
  steps: {
    credentials: step<Context>({
      name: 'credentials',
      input: credentialsInput,
      data: (context) => ({
        passwordPolicy: { minLength: context.settings.passwordMinLength, maxLength: 256 },
        ...(context.loginHint ? { email: context.loginHint } : {}),
      }),
    }),
    terms: step<Context>({
      name: 'terms',
      input: termsInput,
      data: (context) => ({
        policyVersion: context.settings.termsVersion,
        url: context.settings.termsUrl,
      }),
    }),
    consent: step<Context>({
      name: 'consent',
      input: consentStepInput,
      data: (context) => ({ ...(context.request ?? { policies: [], purposes: [] }) }),
      viewSchema: consentStepSchema,
    }),
  },
  fragments: { verifyEmail: emailCode },
});
