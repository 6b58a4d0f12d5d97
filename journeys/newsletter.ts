import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  emailField,
  type JourneyFailure,
  type JourneyInput,
  journeyFailure,
  journeySetup,
  results,
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
 * Newsletter subscription with double opt-in: the address, then a code sent to it (the shared code
 * challenge), and the confirmed subscription recorded. Unconfirmed after 3 days, the customer is
 * reminded with a fresh code; after 7 days the run ends `expired`. An address already subscribed
 * goes through the very same steps and answers (no enumeration).
 */

const DAY_MS = 24 * 60 * 60_000;
/** How long a subscription waits for its confirmation: the run's lifetime. */
const CONFIRMATION_WINDOW_MS = 7 * DAY_MS;

// Deployment settings, with defaults; tests shorten the delays through them.
const settings = codeChallengeSettings.extend({
  // A code lives as long as the run waits for it.
  codeTtlMs: z.number().int().positive().default(CONFIRMATION_WINDOW_MS),
  reminderAfterMs: z
    .number()
    .int()
    .positive()
    .default(3 * DAY_MS),
  list: z.string().min(1).default('newsletter'),
  policyVersion: z.string().min(1).default('2026-11-01'),
});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({ ui_locales: startFields.uiLocales().optional() });
type Start = z.infer<typeof start>;

const subscribeInput = z.strictObject({ email: emailField() });

// What the workflow receives: the code is sealed by the step API (a vault reference).
type Events =
  | { type: 'subscribe'; input: z.infer<typeof subscribeInput> }
  | { type: 'confirm'; input: { code: string } | { resend: true } };

// The run, settings, languages, requester, step error and challenge state come with the host.
interface Context extends CodeChallengeHost {
  settings: Settings;
  email?: string;
  failure?: JourneyFailure;
}

const emailCode = codeChallenge({
  name: 'email-code',
  channel: 'email',
  step: 'confirm',
  purpose: 'newsletter',
  template: 'newsletter-code',
  recipient: (context: Context) => context.email as string,
  // The customer may take days to open the email: the run's lifetime, not the step, ends the wait.
  timeoutMs: CONFIRMATION_WINDOW_MS,
});

export const newsletterMachine = journeySetup({
  fragments: [emailCode],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    recordSubscription: activity('recordSubscription'),
  },
  delays: { reminder: ({ context }) => context.settings.reminderAfterMs },
  actions: {
    // The reminder is the challenge's own resend: a fresh code, which replaces the first.
    sendReminder: emailCode.implementations.actions['emailCode.requestResend'],
    failNotRecorded: assign({ failure: journeyFailure('subscription_not_recorded') }),
  },
}).createMachine({
  id: 'newsletter',
  output: ({ event }) => event.output,
  context: ({ input }) => codeChallengeHost(input),
  initial: 'subscribe',
  states: {
    subscribe: {
      on: {
        subscribe: {
          target: 'confirming',
          actions: assign(({ event }) => ({ email: event.input.email, stepError: undefined })),
        },
      },
    },
    confirming: {
      ...emailCode.state,
      // Still unconfirmed after the reminder delay: once (leaving the state cancels it).
      after: { reminder: { actions: 'sendReminder' } },
      onDone: [
        { guard: 'fragmentFailed', target: 'failed', actions: 'failWithFragmentError' },
        { target: 'recording' },
      ],
    },
    recording: {
      invoke: {
        src: 'recordSubscription',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          list: context.settings.list,
          address: context.email as string,
          policyVersion: context.settings.policyVersion,
        }),
        onDone: 'subscribed',
        onError: { target: 'failed', actions: 'failNotRecorded' },
      },
    },
    subscribed: { type: 'final', output: () => results.none() },
    failed: {
      type: 'final',
      tags: ['failed'],
      output: ({ context }) => ({ error: context.failure }),
    },
  },
});

export const newsletter = defineJourney({
  id: 'newsletter',
  version: 1,
  title: 'Subscribe to the newsletter (double opt-in)',
  machine: newsletterMachine,
  settings,
  // Past it, a run still waiting for its code ends `expired` (its journey token expires with it).
  lifetimeMs: CONFIRMATION_WINDOW_MS,
  start: { input: start },
  steps: {
    subscribe: step<Context>({
      name: 'subscribe',
      input: subscribeInput,
      data: (context) => ({
        list: context.settings.list,
        policyVersion: context.settings.policyVersion,
      }),
    }),
  },
  fragments: { confirming: emailCode },
});
