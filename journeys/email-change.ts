import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  emailField,
  type JourneyFailure,
  type JourneyInput,
  type JourneyResult,
  journeyEnds,
  journeyFailure,
  journeySetup,
  maxAgeSetting,
  outputOf,
  results,
  type SessionRef,
  startFields,
  step,
} from '../src/journey-kit/index.js';
import {
  type CodeChallengeHost,
  codeChallenge,
  codeChallengeHost,
  codeChallengeSettings,
} from './fragments/code-challenge.js';

/**
 * Email change, for a signed-in customer who authenticated recently: the new address, proven by
 * the shared code challenge (sent to the new address), then the identifier replaced and the old
 * address told, with no code in that message. An address already in use answers exactly like a
 * free one, and its owner is told instead (no enumeration).
 */

const settings = codeChallengeSettings.extend({
  // OIDC max_age: changing where account mail goes needs a recent sign-in (Kratos: privileged session).
  maxAgeSeconds: maxAgeSetting(),
});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  return_to: startFields.returnTo().optional(),
  ui_locales: startFields.uiLocales().optional(),
});
type Start = z.infer<typeof start>;

const newEmailInput = z.strictObject({ email: emailField() });

type Events =
  | { type: 'new-email'; input: z.infer<typeof newEmailInput> }
  | { type: 'verify-email'; input: { code: string } | { resend: true } };

// The run, settings, languages, requester, step error and challenge state come with the host.
interface Context extends CodeChallengeHost {
  settings: Settings;
  session: SessionRef;
  newEmail?: string;
  noticeId?: string;
  failure?: JourneyFailure;
  result?: JourneyResult;
}

const emailCode = codeChallenge({
  name: 'email-code',
  channel: 'email',
  step: 'verify-email',
  purpose: 'email-change',
  template: 'email-change-code',
  whenTaken: { template: 'email-change-address-in-use' },
  recipient: (context: Context) => context.newEmail as string,
});

export const emailChangeMachine = journeySetup({
  fragments: [emailCode],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    replaceEmail: activity('replaceEmail'),
    deliverMessage: activity('deliverMessage'),
  },
  guards: {
    previousAddressTold: ({ event }) => outputOf('replaceEmail', event).messageId !== undefined,
  },
  actions: {
    failNotChanged: assign({ failure: journeyFailure('identifier_not_changed') }),
    keepNotice: assign({
      noticeId: ({ event }) => outputOf('replaceEmail', event).messageId as string,
    }),
    settleResult: assign({ result: results.none() }),
  },
}).createMachine({
  id: 'email-change',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    ...codeChallengeHost(input),
    // Declared by `start.session` below: the engine starts this journey only from a session.
    session: input.session as SessionRef,
  }),
  initial: 'newAddress',
  states: {
    newAddress: {
      on: {
        'new-email': {
          target: 'verifyNewAddress',
          actions: assign(({ event }) => ({ newEmail: event.input.email, stepError: undefined })),
        },
      },
    },
    verifyNewAddress: {
      ...emailCode.state,
      onDone: [
        { guard: 'fragmentFailed', target: 'failed', actions: 'failWithFragmentError' },
        { target: 'replacing' },
      ],
    },
    replacing: {
      invoke: {
        src: 'replaceEmail',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          session: context.session,
          value: context.newEmail as string,
          notifyPrevious: {
            template: 'email-changed' as const,
            ...(context.locales ? { locales: context.locales } : {}),
          },
        }),
        onDone: [
          {
            guard: 'previousAddressTold',
            target: 'tellingPreviousAddress',
            actions: ['keepNotice', 'settleResult'],
          },
          { target: 'completed', actions: 'settleResult' },
        ],
        // The session was logged out meanwhile, or the address was claimed since its code was sent.
        onError: [
          { guard: 'businessFailure', target: 'failed', actions: 'failWithActivityError' },
          { target: 'failed', actions: 'failNotChanged' },
        ],
      },
    },
    // The change is made and answered (`finishing`); the run lives on until the old address's
    // notice is out, so the customer never waits on a mail server.
    tellingPreviousAddress: {
      tags: ['finishing'],
      invoke: {
        src: 'deliverMessage',
        input: ({ context }) => ({ messageId: context.noticeId as string }),
        onDone: 'completed',
        // Retries ran out: the change stands; the notice stays in the outbox, marked failed.
        onError: 'completed',
      },
    },
    ...journeyEnds,
  },
});

export const emailChange = defineJourney({
  id: 'email-change',
  version: 1,
  title: 'Change the email address of a signed-in customer',
  machine: emailChangeMachine,
  settings,
  start: {
    input: start,
    // Where the account's codes go is how it recovers: the account's highest level is asked.
    session: (journeySettings: Settings) => ({
      maxAgeSeconds: journeySettings.maxAgeSeconds,
      accountAal: true,
    }),
  },
  steps: {
    newAddress: step<Context>({ name: 'new-email', input: newEmailInput }),
  },
  fragments: { verifyNewAddress: emailCode },
});
