import { z } from 'zod';
import {
  activity,
  defineJourney,
  type JourneyFailure,
  type JourneyInput,
  journeyEnds,
  journeySetup,
  maxAgeSetting,
  results,
  type SessionRef,
  startFields,
} from '../src/journey-kit/index.js';

/**
 * Reinstating a suspended passkey: one whose signature counter went backwards, which a copied
 * passkey does and so does a device restored from a backup. Only its owner can say which, so only
 * a stepped-up session (aal 2, in the last 15 minutes) lifts the suspension; the passkey is named
 * by the id `GET /v1/sessions/factors` lists.
 */

const settings = z.object({
  maxAgeSeconds: maxAgeSetting(),
});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  /** The suspended passkey's id. */
  factor: z.string().min(1).max(64),
  return_to: startFields.returnTo().optional(),
});
type Start = z.infer<typeof start>;

interface Context {
  journeyId: string;
  session: SessionRef;
  factor: string;
  failure?: JourneyFailure;
}

export const passkeyReinstatementMachine = journeySetup({
  types: {
    context: {} as Context,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: { reinstatePasskey: activity('reinstatePasskey') },
}).createMachine({
  id: 'passkeyReinstatement',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    journeyId: input.journeyId,
    session: input.session as SessionRef,
    factor: input.start.factor,
  }),
  initial: 'reinstating',
  states: {
    reinstating: {
      invoke: {
        src: 'reinstatePasskey',
        input: ({ context }) => ({ session: context.session, factor: context.factor }),
        onDone: 'completed',
        // No such suspended passkey, or the session ended: shown as it is. Out of retries: generic.
        onError: [
          { guard: 'businessFailure', target: 'failed', actions: 'failWithActivityError' },
          { target: 'failed' },
        ],
      },
    },
    completed: { type: 'final', output: () => results.none() },
    failed: journeyEnds.failed,
  },
});

export const passkeyReinstatement = defineJourney({
  id: 'passkey-reinstatement',
  version: 1,
  title: 'Reinstate a suspended passkey, from a stepped-up session',
  machine: passkeyReinstatementMachine,
  settings,
  start: {
    input: start,
    session: (current) => ({ aal: 2, maxAgeSeconds: current.maxAgeSeconds }),
  },
  steps: {},
});
