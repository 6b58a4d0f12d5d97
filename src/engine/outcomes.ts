import { assign } from 'xstate';
import type { FragmentOutcome } from './fragment.js';
import type { JourneyActivityError } from './journey-error.js';

// biome-ignore lint/suspicious/noExplicitAny: read from whichever event the journey's transition handles
type Args = { event: any };
const errorOf = ({ event }: Args) => event.error as JourneyActivityError;

// biome-ignore lint/suspicious/noExplicitAny: implementations typed against whichever journey spreads them
type Implementations<K extends string> = Record<K, any>;

/**
 * The named guards nearly every journey needs to route an outcome: spread them into `setup()`
 * (`guards: { ...outcomeGuards }`) so each journey's diagram reads the same words.
 */
export const outcomeGuards: Implementations<
  'fragmentFailed' | 'fragmentSwitched' | 'businessFailure'
> = {
  /** A fragment ended `{ outcome: 'failed' }` (on the `onDone` of the state it is placed at). */
  fragmentFailed: ({ event }: Args) => (event.output as FragmentOutcome).outcome === 'failed',
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
};

/** The named actions that record why a run fails, into `context.failure` (its view's `error`). */
export const outcomeActions: Implementations<'failWithFragmentError' | 'failWithActivityError'> = {
  /** The error a failed fragment reports. */
  failWithFragmentError: assign({
    failure: ({ event }: Args) =>
      (event.output as Extract<FragmentOutcome, { outcome: 'failed' }>).error,
  }),
  /** The code and message of an activity's business failure. */
  failWithActivityError: assign({
    failure: (args: Args) => {
      const { code, message } = errorOf(args);
      return { code, message };
    },
  }),
};
