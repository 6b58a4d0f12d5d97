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
  phoneField,
  results,
  type SessionRef,
  type StepError,
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
 * The profile's phone number (`phone_number`, verified), for a signed-in customer who signed in
 * recently: the new number, proven by a code texted to it, then written with
 * `phone_number_verified: true`. A number typed into the profile elsewhere stays unverified; this
 * journey is what verifies one. It is not a second factor (mfa-enrolment@1 adds those).
 */

const settings = codeChallengeSettings.extend({
  // A sensitive attribute: where the customer is reached (as `/v1/me` asks, profile-store.ts).
  maxAgeSeconds: maxAgeSetting(),
});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  return_to: startFields.returnTo().optional(),
  ui_locales: startFields.uiLocales().optional(),
});
type Start = z.infer<typeof start>;

const phoneInput = z.strictObject({ phone_number: phoneField() });

type Events =
  | { type: 'new-phone'; input: { phone_number: string } }
  | { type: 'verify-phone'; input: { code: string } | { resend: true } };

interface Context extends CodeChallengeHost {
  settings: Settings;
  session: SessionRef;
  /** The new number (E.164, so canonicalised by the step API). */
  phone?: string;
  stepError?: StepError;
  failure?: JourneyFailure;
  result?: JourneyResult;
}

const phoneCode = codeChallenge({
  name: 'phone-code',
  channel: 'sms',
  step: 'verify-phone',
  purpose: 'phone-verification',
  template: 'phone-verification-code',
  recipient: (context: Context) => context.phone as string,
  recipientField: 'phone_number',
});

export const phoneChangeMachine = journeySetup({
  fragments: [phoneCode],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: { setVerifiedPhone: activity('setVerifiedPhone') },
  actions: {
    settleResult: assign({ result: results.none() }),
  },
}).createMachine({
  id: 'phone-change',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    ...codeChallengeHost(input),
    // Declared by `start.session` below: the engine starts this journey only from a session.
    session: input.session as SessionRef,
  }),
  initial: 'newPhone',
  states: {
    newPhone: {
      on: {
        'new-phone': {
          target: 'verifyingPhone',
          actions: assign(({ event }) => ({
            phone: event.input.phone_number,
            stepError: undefined,
          })),
        },
      },
    },
    verifyingPhone: {
      ...phoneCode.state,
      onDone: [
        // A number past the SMS limits, or of a country not served: shown at the number's step.
        { guard: 'fragmentRefused', target: 'newPhone', actions: 'rejectWithFragmentError' },
        { guard: 'fragmentFailed', target: 'failed', actions: 'failWithFragmentError' },
        { target: 'saving' },
      ],
    },
    saving: {
      invoke: {
        src: 'setVerifiedPhone',
        input: ({ context }) => ({
          session: context.session,
          challengeId: context.codeChallenge?.challengeId as string,
        }),
        onDone: { target: 'completed', actions: 'settleResult' },
        // The session was logged out meanwhile.
        onError: failOnActivityError('profile_not_saved'),
      },
    },
    ...journeyEnds,
  },
});

export const phoneChange = defineJourney({
  id: 'phone-change',
  version: 1,
  title: "Change and verify the customer's phone number, by a texted code",
  machine: phoneChangeMachine,
  settings,
  start: {
    input: start,
    session: (journeySettings: Settings) => ({
      maxAgeSeconds: journeySettings.maxAgeSeconds,
      accountAal: true,
    }),
  },
  steps: {
    newPhone: step<Context>({ name: 'new-phone', input: phoneInput }),
  },
  fragments: { verifyingPhone: phoneCode },
});
