import { assign } from 'xstate';
import { z } from 'zod';
import type { ConsentRequest } from '../src/consent/consent-request.js';
import {
  activity,
  defineJourney,
  failOnActivityError,
  type JourneyFailure,
  type JourneyInput,
  type JourneyResult,
  journeyEnds,
  journeySetup,
  outputOf,
  results,
  type SessionRef,
  type StepError,
  startFields,
  step,
} from '../src/journey-kit/index.js';
import {
  type ConsentStepInput,
  consentRefusal,
  consentStepInput,
  consentStepSchema,
} from './parts/consent-step.js';

/**
 * Consent: the customer decides on each purpose on its own, seeing for each where they stand and
 * what changed since their last decision (a new purpose, a material policy change, a grant that
 * expired). Login names it in `continue_with` when a decision is due; `/v1/me/consents` starts it
 * at any time. What is recorded is the policy version the page showed, and only while it is in
 * effect: a stale page is answered with the current versions, and records nothing.
 */

const settings = z.strictObject({});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  ui_locales: startFields.uiLocales().optional(),
  return_to: startFields.returnTo().optional(),
});
type Start = z.infer<typeof start>;

type Events = { type: 'consent'; input: ConsentStepInput };

interface Context {
  journeyId: string;
  settings: Settings;
  session: SessionRef;
  locales: string[];
  request: ConsentRequest;
  decisions?: ConsentStepInput;
  stepError?: StepError;
  failure?: JourneyFailure;
  result?: JourneyResult;
}

export const consentMachine = journeySetup({
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    consentToAsk: activity('consentToAsk'),
    recordConsent: activity('recordConsent'),
  },
  guards: {
    nothingToAsk: ({ event }) => outputOf('consentToAsk', event).purposes.length === 0,
    decisionsRefused: ({ event }) => outputOf('recordConsent', event).rejected !== undefined,
  },
  actions: {
    showRequest: assign({ request: ({ event }) => outputOf('consentToAsk', event) }),
    takeDecisions: assign({ decisions: ({ event }) => event.input, stepError: undefined }),
    // Every refusal at once, each with its path; the step is shown again as it stands now.
    refuseDecisions: assign({
      stepError: ({ event }) => consentRefusal(outputOf('recordConsent', event).rejected),
      decisions: undefined,
    }),
    settleResult: assign({ result: results.none() }),
  },
}).createMachine({
  id: 'consent',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    journeyId: input.journeyId,
    settings: input.settings,
    // Declared by `start.session` below: the engine starts this journey only from a session.
    session: input.session as SessionRef,
    locales: input.start.ui_locales ?? [],
    request: { policies: [], purposes: [] },
  }),
  initial: 'asking',
  states: {
    asking: {
      invoke: {
        src: 'consentToAsk',
        input: ({ context }) => ({ session: context.session, locales: context.locales }),
        onDone: [
          { guard: 'nothingToAsk', target: 'completed', actions: 'settleResult' },
          { target: 'deciding', actions: 'showRequest' },
        ],
        // The session was logged out meanwhile.
        onError: failOnActivityError('consent_not_recorded'),
      },
    },
    deciding: {
      on: { consent: { target: 'recording', actions: 'takeDecisions' } },
    },
    recording: {
      invoke: {
        src: 'recordConsent',
        input: ({ context }) => ({
          session: context.session,
          locales: context.locales,
          step: 'consent',
          ...(context.decisions as ConsentStepInput),
        }),
        onDone: [
          { guard: 'decisionsRefused', target: 'asking', actions: 'refuseDecisions' },
          { target: 'completed', actions: 'settleResult' },
        ],
        onError: failOnActivityError('consent_not_recorded'),
      },
    },
    ...journeyEnds,
  },
});

export const consent = defineJourney({
  id: 'consent',
  version: 1,
  title: 'Decide on each purpose the data is used for',
  machine: consentMachine,
  settings,
  start: { input: start, session: () => ({}) },
  steps: {
    deciding: step<Context>({
      name: 'consent',
      input: consentStepInput,
      data: (context) => ({ ...context.request }),
      viewSchema: consentStepSchema,
    }),
  },
});
