import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  emailField,
  failOnActivityError,
  type IssuedSession,
  type JourneyFailure,
  type JourneyInput,
  journeyEnds,
  journeySetup,
  results,
  secret,
  startFields,
  step,
  stepError,
} from '../src/journey-kit/index.js';
import {
  type CodeChallengeHost,
  codeChallenge,
  codeChallengeHost,
  codeChallengeSettings,
} from './fragments/code-challenge.js';

/**
 * registration@2, kept while its runs are open: email + password, the email proven by the shared
 * code challenge, terms accepted, then an account and a session. registration@3 (registration.ts)
 * adds the consent step and shares this version's settings, fields and code challenge.
 */

export const settings = codeChallengeSettings.extend({
  // NIST SP 800-63B-4 §3.1.1.2: 15 characters when the password is the only factor, 8 when it is
  // part of multi-factor authentication. 8 by default (the policy's floor); raise it here.
  passwordMinLength: z.number().int().min(8).max(64).default(8),
  termsVersion: z.string().default('2026-11-01'),
  termsUrl: z.string().default('/legal/terms'),
});
export type Settings = z.infer<typeof settings>;

export const start = z.strictObject({
  login_hint: startFields.loginHint().optional(),
  return_to: startFields.returnTo().optional(),
  ui_locales: startFields.uiLocales().optional(),
});
export type Start = z.infer<typeof start>;

export const credentialsInput = z.strictObject({
  email: emailField(),
  password: secret.newPassword(),
});
export const termsInput = z.strictObject({
  accept: z.literal(true),
  policyVersion: z.string().min(1),
});

// What the workflow receives: secrets are sealed by the step API (hash or vault reference).
export type Events =
  | { type: 'credentials'; input: { email: string; password: string } }
  | { type: 'verify-email'; input: { code: string } | { resend: true } }
  | { type: 'terms'; input: z.infer<typeof termsInput> };

// The run, settings, languages, requester, step error and challenge state come with the host.
export interface Context extends CodeChallengeHost {
  settings: Settings;
  loginHint?: string;
  email?: string;
  passwordHash?: string;
  userId?: string;
  session?: IssuedSession;
  failure?: JourneyFailure;
}

export const emailCode = codeChallenge({
  name: 'email-code',
  channel: 'email',
  step: 'verify-email',
  purpose: 'registration',
  template: 'registration-code',
  // Someone registering an address that has an account: its owner is told, and no code works.
  whenTaken: { template: 'registration-existing-account' },
  recipient: (context: Context) => context.email as string,
});

export const registrationV2Machine = journeySetup({
  fragments: [emailCode],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    createAccount: activity('createAccount'),
    createSession: activity('createSession'),
  },
  guards: {
    currentTerms: ({ context, event }) =>
      event.type === 'terms' && event.input.policyVersion === context.settings.termsVersion,
  },
  actions: {
    clearStepError: assign({ stepError: undefined }),
    rejectOutdatedTerms: assign(({ context }) => ({
      stepError: stepError('policy_version_mismatch', {
        message: `Accept the current terms (version ${context.settings.termsVersion})`,
        path: '/policyVersion',
      }),
    })),
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
          { guard: 'currentTerms', target: 'creatingAccount', actions: 'clearStepError' },
          { actions: 'rejectOutdatedTerms' },
        ],
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

export const registrationV2 = defineJourney({
  id: 'registration',
  version: 2,
  title: 'Sign up with email and password',
  machine: registrationV2Machine,
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
  },
  fragments: { verifyEmail: emailCode },
});
