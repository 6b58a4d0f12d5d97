import { z } from 'zod';
import {
  activity,
  defineJourney,
  failOnActivityError,
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
 * Removing a second factor from a signed-in account: a TOTP key or a passkey (by the id
 * `GET /v1/sessions/factors` lists), or the recovery codes. Taking a factor away weakens the
 * account, so the session must have been stepped up (aal 2, in the last 15 minutes): a stolen
 * password-only session cannot strip the account's second factor. Where the deployment requires
 * MFA (`requireMfa`), the last TOTP key or passkey stays.
 */

const settings = z.object({
  requireMfa: z.boolean().default(false),
  maxAgeSeconds: maxAgeSetting(),
});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  /** A factor's id, or `recovery_code` for the whole set. */
  factor: z.string().min(1).max(64),
  return_to: startFields.returnTo().optional(),
});
type Start = z.infer<typeof start>;

interface Context {
  journeyId: string;
  settings: Settings;
  session: SessionRef;
  factor: string;
  failure?: JourneyFailure;
}

export const factorRemovalMachine = journeySetup({
  types: {
    context: {} as Context,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: { removeFactor: activity('removeFactor') },
}).createMachine({
  id: 'factorRemoval',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    journeyId: input.journeyId,
    settings: input.settings,
    session: input.session as SessionRef,
    factor: input.start.factor,
  }),
  initial: 'removing',
  states: {
    removing: {
      invoke: {
        src: 'removeFactor',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          session: context.session,
          factor: context.factor,
          keepOne: context.settings.requireMfa,
        }),
        onDone: 'completed',
        // No such factor, or the last one a policy requiring MFA keeps.
        onError: failOnActivityError('sign_in_not_completed'),
      },
    },
    completed: { type: 'final', output: () => results.none() },
    failed: journeyEnds.failed,
  },
});

export const factorRemoval = defineJourney({
  id: 'factor-removal',
  version: 1,
  title: 'Remove a second factor, from a stepped-up session',
  machine: factorRemovalMachine,
  settings,
  start: {
    input: start,
    session: (current) => ({ aal: 2, maxAgeSeconds: current.maxAgeSeconds }),
  },
  steps: {},
});
