import { assign } from 'xstate';
import { z } from 'zod';
import type { ProfileQuestion } from '../src/activities/profile/profiling.js';
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
  stepError,
} from '../src/journey-kit/index.js';

/**
 * Progressive profiling: a few questions at a time about what the customer's profile lacks, as
 * the app's policy asks them (at its n-th sign-in, or at a moment the app signals, such as a first
 * purchase). Login names it in `continue_with`; the app runs it with the new session. Each
 * question may be skipped: it comes back only after the app's delay, never in the same session.
 * Every answer is checked against the attribute catalogue's schema and written as the customer
 * writes it through `/v1/me`, by the same rules.
 */

const settings = z.strictObject({});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  /** The app whose policy asks (its registration's `profiling`). */
  client_id: startFields.clientId(),
  /** The moment the app signals (`first_purchase`); absent, the sign-in count decides. */
  moment: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,39}$/)
    .optional(),
  return_to: startFields.returnTo().optional(),
});
type Start = z.infer<typeof start>;

// What the step takes whatever was asked; each answer's own schema is the catalogue's, checked by
// `saveProfileAnswers` and published per view (`viewSchema` below). An empty `answers` skips all.
const attributeName = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/);
const profileInput = z.union([
  z.strictObject({ answers: z.record(attributeName, z.unknown()) }),
  z.strictObject({ skip: z.literal(true) }),
]);

type Events = {
  type: 'profile';
  input: { answers: Record<string, unknown> } | { skip: true };
};

interface Context {
  journeyId: string;
  settings: Settings;
  session: SessionRef;
  clientId: string;
  moment?: string;
  /** Every attribute asked in this run, so none is asked twice. */
  asked: string[];
  /** The questions on screen now. */
  questions: ProfileQuestion[];
  answers?: Record<string, unknown>;
  answered: string[];
  skipped: string[];
  stepError?: StepError;
  failure?: JourneyFailure;
  result?: JourneyResult;
}

export const progressiveProfilingMachine = journeySetup({
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    profileQuestions: activity('profileQuestions'),
    saveProfileAnswers: activity('saveProfileAnswers'),
  },
  guards: {
    nothingToAsk: ({ event }) => outputOf('profileQuestions', event).questions.length === 0,
    answersRefused: ({ event }) => outputOf('saveProfileAnswers', event).rejected !== undefined,
  },
  actions: {
    showQuestions: assign(({ context, event }) => {
      const { questions } = outputOf('profileQuestions', event);
      return {
        questions,
        asked: [...context.asked, ...questions.map((question) => question.attribute)],
        stepError: undefined,
      };
    }),
    takeAnswers: assign({
      answers: ({ event }) => ('answers' in event.input ? event.input.answers : {}),
    }),
    // Several answers may be refused at once: each with its path, in the error's detail.
    refuseAnswers: assign({
      stepError: ({ event }) => {
        const errors = outputOf('saveProfileAnswers', event).rejected ?? [];
        const code = errors.some((error) => error.code === 'attribute_not_writable')
          ? 'attribute_not_writable'
          : 'invalid_input';
        return stepError(code, { path: errors[0]?.path ?? '/answers', detail: { errors } });
      },
      answers: undefined,
    }),
    keepOutcome: assign(({ context, event }) => {
      const { answered, skipped } = outputOf('saveProfileAnswers', event);
      return {
        answered: [...context.answered, ...answered],
        skipped: [...context.skipped, ...skipped],
        answers: undefined,
        stepError: undefined,
      };
    }),
    settleResult: assign({ result: results.none() }),
  },
}).createMachine({
  id: 'progressiveProfiling',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    journeyId: input.journeyId,
    settings: input.settings,
    // Declared by `start.session` below: the engine starts this journey only from a session.
    session: input.session as SessionRef,
    clientId: input.start.client_id,
    ...(input.start.moment ? { moment: input.start.moment } : {}),
    asked: [],
    questions: [],
    answered: [],
    skipped: [],
  }),
  initial: 'finding',
  states: {
    finding: {
      invoke: {
        src: 'profileQuestions',
        input: ({ context }) => ({
          session: context.session,
          clientId: context.clientId,
          ...(context.moment ? { moment: context.moment } : {}),
          asked: context.asked,
        }),
        onDone: [
          { guard: 'nothingToAsk', target: 'completed', actions: 'settleResult' },
          { target: 'asking', actions: 'showQuestions' },
        ],
        // The session was logged out meanwhile.
        onError: failOnActivityError('profile_not_saved'),
      },
    },
    asking: {
      on: { profile: { target: 'saving', actions: 'takeAnswers' } },
    },
    saving: {
      invoke: {
        src: 'saveProfileAnswers',
        input: ({ context }) => ({
          session: context.session,
          clientId: context.clientId,
          asked: context.questions.map((question) => question.attribute),
          answers: context.answers ?? {},
        }),
        onDone: [
          { guard: 'answersRefused', target: 'asking', actions: 'refuseAnswers' },
          { target: 'finding', actions: 'keepOutcome' },
        ],
        onError: failOnActivityError('profile_not_saved'),
      },
    },
    ...journeyEnds,
  },
});

/** The step's published schema: an answer per question shown, each by its catalogue schema. */
function questionsSchema(data: Record<string, unknown>): Record<string, unknown> {
  const questions = (data.questions ?? []) as ProfileQuestion[];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    oneOf: [
      {
        type: 'object',
        properties: {
          answers: {
            type: 'object',
            description: 'An answer per question; a question left out is skipped',
            properties: Object.fromEntries(
              questions.map((question) => [question.attribute, question.schema]),
            ),
            additionalProperties: false,
          },
        },
        required: ['answers'],
        additionalProperties: false,
      },
      {
        type: 'object',
        properties: { skip: { const: true, description: 'Skip every question shown' } },
        required: ['skip'],
        additionalProperties: false,
      },
    ],
  };
}

export const progressiveProfiling = defineJourney({
  id: 'progressive-profiling',
  version: 1,
  title: "Ask a little at a time for what the customer's profile lacks",
  machine: progressiveProfilingMachine,
  settings,
  start: {
    input: start,
    // Any live session of the customer: sensitive questions are asked only from a fresh, strong one.
    session: () => ({}),
  },
  steps: {
    asking: step<Context>({
      name: 'profile',
      input: profileInput,
      data: (context) => ({
        client_id: context.clientId,
        questions: context.questions,
      }),
      viewSchema: questionsSchema,
    }),
  },
});
