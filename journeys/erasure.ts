import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  failOnActivityError,
  type JourneyFailure,
  type JourneyInput,
  type JourneyResult,
  journeyEnds,
  journeySetup,
  maxAgeSetting,
  results,
  type SessionRef,
  startFields,
} from '../src/journey-kit/index.js';

/**
 * Erasure (GDPR Art. 17): from a recent sign-in at the account's highest level, the customer asks
 * for the account to be erased. At once every session ends, apps and recovery can no longer reach
 * the account, and the customer is told when it happens and that signing in before then keeps it.
 * After the grace period (a Temporal timer: it survives restarts) everything held about the
 * customer is erased; funnels keep their counts. If an operator's legal hold stands on the day, the
 * run ends and the erasure waits for the hold: lifting it erases at once (the admin API).
 *
 * The customer's part ends when the erasure is scheduled (the answer says when it is due); the run
 * lives on to erase.
 */

const DAY_MS = 24 * 3_600_000;
/** The longest grace period a deployment may set. */
const MAX_GRACE_MS = 90 * DAY_MS;

const settings = z.strictObject({
  /** How long the customer has to change their mind by signing in (default 30 days). */
  graceMs: z
    .number()
    .int()
    .min(1_000)
    .max(MAX_GRACE_MS)
    .default(30 * DAY_MS),
  /** How recent the sign-in must be (seconds). */
  maxAgeSeconds: maxAgeSetting(),
});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  ui_locales: startFields.uiLocales().optional(),
});
type Start = z.infer<typeof start>;

interface Context {
  journeyId: string;
  settings: Settings;
  session: SessionRef;
  locales?: string[];
  erasure?: { erasureId: string; dueAt: string };
  result?: JourneyResult;
  failure?: JourneyFailure;
}

export const erasureMachine = journeySetup({
  types: {
    context: {} as Context,
    events: {} as { type: 'never' },
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    requestErasure: activity('requestErasure'),
    completeErasure: activity('completeErasure'),
  },
  delays: {
    gracePeriod: ({ context }) => context.settings.graceMs,
  },
}).createMachine({
  id: 'erasure',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    journeyId: input.journeyId,
    settings: input.settings,
    // Declared by `start.session` below: the engine starts this journey only from such a session.
    session: input.session as SessionRef,
    ...(input.start.ui_locales ? { locales: input.start.ui_locales } : {}),
  }),
  initial: 'requesting',
  states: {
    requesting: {
      invoke: {
        src: 'requestErasure',
        input: ({ context }) => ({
          session: context.session,
          graceMs: context.settings.graceMs,
          ...(context.locales ? { locales: context.locales } : {}),
        }),
        onDone: {
          target: 'waiting',
          actions: assign(({ event }) => ({
            erasure: event.output,
            result: results.scheduled(event.output.dueAt),
          })),
        },
        onError: failOnActivityError('erasure_not_scheduled'),
      },
    },
    // Answered (`scheduled`, when it is due); the run waits on a durable timer to erase.
    waiting: {
      tags: ['finishing'],
      initial: 'inGrace',
      states: {
        inGrace: { after: { gracePeriod: 'erasing' } },
        erasing: {
          invoke: {
            src: 'completeErasure',
            input: ({ context }) => ({ erasureId: context.erasure?.erasureId as string }),
            // Completed, cancelled by a sign-in, or held (lifting the hold erases): the run ends
            // as it answered (`scheduled`).
            onDone: '#erasure.completed',
            onError: {
              target: '#erasure.failed',
              actions: { type: 'failWith', params: { code: 'erasure_not_completed' } },
            },
          },
        },
      },
    },
    ...journeyEnds,
  },
});

export const erasure = defineJourney({
  id: 'erasure',
  version: 1,
  title: 'Erase the account and everything held about the customer, after a grace period',
  machine: erasureMachine,
  settings,
  // The longest grace period and a day to spare: the run must outlive its timer.
  lifetimeMs: MAX_GRACE_MS + DAY_MS,
  start: {
    input: start,
    // Nothing is more sensitive: a recent sign-in at the account's highest level.
    session: (journeySettings: Settings) => ({
      maxAgeSeconds: journeySettings.maxAgeSeconds,
      accountAal: true,
    }),
  },
  steps: {},
});
