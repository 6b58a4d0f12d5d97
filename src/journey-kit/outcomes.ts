import { assign } from 'xstate';
import { type ErrorCode, journeyFailure, stepError } from '../errors/catalogue.js';
import type { JourneyActivityError } from '../errors/journey-error.js';
import type { FragmentOutcome } from './fragment.js';

// biome-ignore lint/suspicious/noExplicitAny: read from whichever event the journey's transition handles
type Args = { context: any; event: any };
const errorOf = ({ event }: Args) => event.error as JourneyActivityError;

// biome-ignore lint/suspicious/noExplicitAny: implementations typed against whichever journey spreads them
type Implementations<K extends string> = Record<K, any>;

/**
 * The named guards nearly every journey needs to route an outcome: spread them into `setup()`
 * (`guards: { ...outcomeGuards }`) so each journey's diagram reads the same words.
 */
export const outcomeGuards: Implementations<
  'fragmentFailed' | 'fragmentRefused' | 'fragmentSwitched' | 'businessFailure' | 'sessionLost'
> = {
  /** A fragment ended `{ outcome: 'failed' }` (on the `onDone` of the state it is placed at). */
  fragmentFailed: ({ event }: Args) => (event.output as FragmentOutcome).outcome === 'failed',
  /**
   * A fragment could not do its work for this input and says why for the customer to act on (a
   * text message past its limits): the journey shows it where the input was given.
   */
  fragmentRefused: ({ event }: Args) => (event.output as FragmentOutcome).outcome === 'refused',
  /** A factor challenge ended because the customer chose another factor: `params.method`, or any. */
  fragmentSwitched: ({ event }: Args, params?: { method: string }) => {
    const output = event.output as FragmentOutcome;
    return output.outcome === 'switch' && (!params || output.method === params.method);
  },
  /**
   * An activity reported a business outcome (a taken address, a logged-out session), shown as it
   * is; anything else, an activity out of retries, stays generic (ASVS 7.4.1).
   */
  businessFailure: (args: Args) => errorOf(args).business,
  /**
   * The run's session is gone, idle, another's or below what the journey demanded
   * (`session_required`, from the worker's session check): no retry at the step can mend that.
   */
  sessionLost: (args: Args) => errorOf(args).code === 'session_required',
};

/** The named actions that record why a run fails, into `context.failure` (its view's `error`). */
export const outcomeActions: Implementations<
  'failWith' | 'failWithFragmentError' | 'failWithActivityError' | 'rejectWithFragmentError'
> = {
  /** A code of the catalogue the journey names: `{ type: 'failWith', params: { code } }`. */
  failWith: assign({
    failure: (_: Args, params: { code: ErrorCode }) => journeyFailure(params.code),
  }),
  /** The error a failed fragment reports. */
  failWithFragmentError: assign({
    failure: ({ event }: Args) =>
      (event.output as Extract<FragmentOutcome, { outcome: 'failed' }>).error,
  }),
  /** A refused fragment's reason, shown at the step the customer goes back to (not a failure). */
  rejectWithFragmentError: assign({
    stepError: ({ event }: Args) =>
      (event.output as Extract<FragmentOutcome, { outcome: 'refused' }>).error,
  }),
  /** The code and message of an activity's business failure. */
  failWithActivityError: assign({
    failure: (args: Args) => {
      const { code, message } = errorOf(args);
      return { code, message };
    },
  }),
};

// biome-ignore lint/suspicious/noExplicitAny: state configs typed against whichever journey places them
type StateConfig = Record<string, any>;

/**
 * The two final states most journeys end in: `completed`, whose output is `context.result`, and
 * `failed` (tagged so), whose output is `{ error: context.failure }`.
 */
export const journeyEnds: { completed: StateConfig; failed: StateConfig } = {
  completed: { type: 'final', output: ({ context }: Args) => context.result },
  failed: {
    type: 'final',
    tags: ['failed'],
    output: ({ context }: Args) => ({ error: context.failure }),
  },
};

/**
 * The `onError` of an activity whose failure ends the run: a business failure (a logged-out
 * session, a refused proof) is shown as it is; anything else, retries out, as `code`, generic.
 */
export const failOnActivityError = (code: ErrorCode): StateConfig[] => [
  { guard: 'businessFailure', target: 'failed', actions: 'failWithActivityError' },
  { target: 'failed', actions: { type: 'failWith', params: { code } } },
];

/**
 * A finishing state: the outcome is decided and answered (`context.result`), and the run lives on
 * to deliver a notice (`messageId`) its customer need not wait for, then goes to `completed`. A
 * delivery out of retries changes nothing: the notice stays in the outbox, marked failed.
 */
export const deliveringNotice = (messageId: (context: Args['context']) => string): StateConfig => ({
  tags: ['finishing'],
  invoke: {
    src: 'deliverMessage',
    input: ({ context }: Args) => ({ messageId: messageId(context) }),
    onDone: 'completed',
    onError: 'completed',
  },
});

/**
 * Opening the session a sign-in proved (`createSession` with what `input` says), then `completed`,
 * or `tellingOwner` first where a notice waits (`hasNotice`); the journey's `sessionOpened` action
 * keeps the session and its result. A session that cannot be opened fails the run.
 */
export const openingSession = (input: (context: Args['context']) => unknown): StateConfig => ({
  invoke: {
    src: 'createSession',
    input: ({ context }: Args) => input(context),
    onDone: [
      { guard: 'hasNotice', target: 'tellingOwner', actions: 'sessionOpened' },
      { target: 'completed', actions: 'sessionOpened' },
    ],
    onError: {
      target: 'failed',
      actions: { type: 'failWith', params: { code: 'session_not_opened' } },
    },
  },
});

/**
 * An action showing an activity's business failure (a wrong password, a refused passkey) at the
 * step the customer is at, on the field at `path` (a JSON pointer). Its detail reaches the customer
 * only `withDetail` (a retry time, attempts left); otherwise it stays in the run (a verifier's
 * reason is for operators).
 */
export const rejectAt = (
  path: string,
  { withDetail = false } = {},
): Implementations<'rejectAt'>['rejectAt'] =>
  assign({
    stepError: (args: Args) => {
      const { code, message, detail } = errorOf(args);
      return stepError(code, { message, path, ...(withDetail && detail ? { detail } : {}) });
    },
  });
