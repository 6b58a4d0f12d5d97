import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  type JourneyFailure,
  type JourneyInput,
  type JourneyResult,
  journeyEnds,
  journeySetup,
  outputOf,
  results,
  type StepError,
} from '../src/journey-kit/index.js';
import { codeChallengeHost, codeChallengeSettings } from './fragments/code-challenge.js';
import { addressStart, type InboxProofHost, inboxProof } from './fragments/inbox-proof.js';

/**
 * A customer who lost every second factor (no recovery code, no device) gets them reset without a
 * support ticket (how Auth0 and Okta handle it): the address, a code sent to it, then a durable
 * waiting period. Every verified address is told at once and again a day before, and any sign-in
 * with a factor the account still has stops it: someone who only reads the inbox cannot outwait
 * an owner who still signs in. When the period has run, the factors are removed and the next
 * sign-in asks for a new one. The period is a Temporal timer: it survives worker restarts.
 *
 * The customer's part ends when the reset is scheduled (the answer says when it is due); the run
 * lives on to remind and to reset. An address with no account gets the same answers and no code.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The longest waiting period a deployment may set: the run's lifetime covers it with a day to spare. */
const MAX_WAIT_MS = 7 * DAY_MS;

const settings = codeChallengeSettings.extend({
  codeTtlMs: z
    .number()
    .int()
    .positive()
    .default(15 * 60_000),
  /** How long the owner has to stop a reset by signing in with a factor (default 72 hours). */
  waitMs: z
    .number()
    .int()
    .min(1_000)
    .max(MAX_WAIT_MS)
    .default(72 * HOUR_MS),
  /** When, before the reset, every address is told again (default a day). */
  reminderBeforeMs: z.number().int().nonnegative().default(DAY_MS),
});
type Settings = z.infer<typeof settings>;

type Start = z.infer<typeof addressStart>;

type Events =
  | { type: 'email'; input: { email: string } }
  | { type: 'verify-email'; input: { code: string } | { resend: true } };

interface Context extends InboxProofHost {
  settings: Settings;
  loginHint?: string;
  email?: string;
  reset?: { resetId: string; dueAt: string };
  result?: JourneyResult;
  stepError?: StepError;
  failure?: JourneyFailure;
}

const inbox = inboxProof({ purpose: 'factor-reset' });
const inboxCode = inbox.code;

export const factorResetMachine = journeySetup({
  fragments: [inboxCode],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    scheduleFactorReset: activity('scheduleFactorReset'),
    remindFactorReset: activity('remindFactorReset'),
    completeFactorReset: activity('completeFactorReset'),
  },
  guards: {
    cancelled: ({ event }) => outputOf('remindFactorReset', event).status === 'cancelled',
  },
  delays: {
    untilReminder: ({ context }) =>
      Math.max(0, context.settings.waitMs - context.settings.reminderBeforeMs),
    untilReset: ({ context }) =>
      Math.min(context.settings.reminderBeforeMs, context.settings.waitMs),
  },
}).createMachine({
  id: 'factorReset',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    ...codeChallengeHost(input),
    ...(input.start.login_hint ? { loginHint: input.start.login_hint } : {}),
  }),
  initial: 'email',
  states: {
    ...inbox.states('scheduling'),
    scheduling: {
      invoke: {
        src: 'scheduleFactorReset',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          challengeId: context.codeChallenge?.challengeId as string,
          waitMs: context.settings.waitMs,
          ...(context.locales ? { locales: context.locales } : {}),
        }),
        onDone: {
          target: 'waiting',
          actions: assign(({ event }) => ({
            reset: event.output,
            result: results.scheduled(event.output.dueAt),
          })),
        },
        onError: {
          target: 'failed',
          actions: { type: 'failWith', params: { code: 'recovery_not_completed' } },
        },
      },
    },
    // Answered (`scheduled`, when it is due); the run waits on durable timers to remind and reset.
    waiting: {
      tags: ['finishing'],
      initial: 'beforeReminder',
      states: {
        beforeReminder: { after: { untilReminder: 'reminding' } },
        reminding: {
          invoke: {
            src: 'remindFactorReset',
            input: ({ context }) => ({
              resetId: context.reset?.resetId as string,
              ...(context.locales ? { locales: context.locales } : {}),
            }),
            onDone: [{ guard: 'cancelled', target: '#factorReset.completed' }, 'beforeReset'],
            // A reminder that could not go out does not stop the reset: the first notice went.
            onError: 'beforeReset',
          },
        },
        beforeReset: { after: { untilReset: 'resetting' } },
        resetting: {
          invoke: {
            src: 'completeFactorReset',
            input: ({ context }) => ({
              resetId: context.reset?.resetId as string,
              ...(context.locales ? { locales: context.locales } : {}),
            }),
            onDone: '#factorReset.completed',
            // Out of retries: the reset stays pending, and the run fails where operators see it.
            onError: {
              target: '#factorReset.failed',
              actions: { type: 'failWith', params: { code: 'recovery_not_completed' } },
            },
          },
        },
      },
    },
    ...journeyEnds,
  },
});

export const factorReset = defineJourney({
  id: 'factor-reset',
  version: 1,
  title: 'Reset lost second factors after a waiting period the owner can stop by signing in',
  machine: factorResetMachine,
  settings,
  start: { input: addressStart },
  // The waiting period and a day to spare: the run must outlive its timers.
  lifetimeMs: MAX_WAIT_MS + DAY_MS,
  steps: {
    email: inbox.step,
  },
  fragments: { verifyingInbox: inboxCode },
});
