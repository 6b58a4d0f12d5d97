import { describe, expect, expectTypeOf, test } from 'vitest';
import { assign, fromPromise } from 'xstate';
import {
  type CodeChallengeHost,
  type CodeChallengeSettings,
  codeChallenge,
} from '../../journeys/fragments/code-challenge.js';
import { secondFactorChallenges } from '../../journeys/fragments/factor-challenges.js';
import {
  activity,
  type JourneyInput,
  journeySetup,
  mergeImplementations,
} from '../../src/journey-kit/index.js';

// Type errors are the subject here: `npx tsc --noEmit -p .` checks every `@ts-expect-error` below
// still has its error, and vitest runs what runs.

interface Context extends CodeChallengeHost {
  email?: string;
  confirmed?: boolean;
}
type Events = { type: 'address'; input: { email: string } } | { type: 'retry' };

const types = {
  context: {} as Context,
  events: {} as Events,
  input: {} as JourneyInput<CodeChallengeSettings>,
};
const options = {
  name: 'email-code',
  channel: 'email',
  step: 'verify-email',
  purpose: 'registration',
  template: 'registration-code',
  recipient: (context: Context) => context.email as string,
} as const;
const emailCode = codeChallenge(options);

describe('journeySetup', () => {
  test("merges the fragments' implementations and the outcomes under the journey's own", () => {
    const machine = journeySetup({
      fragments: [emailCode],
      types,
      actors: { createAccount: activity('createAccount') },
      guards: { hasAddress: ({ context }) => context.email !== undefined },
    }).createMachine({ id: 'merged', context: { journeyId: 'j', settings: {} as never } });
    expect(Object.keys(machine.implementations.actors)).toEqual([
      'issueOtp',
      'verifyOtp',
      'deliverMessage',
      'createAccount',
    ]);
    expect(Object.keys(machine.implementations.guards)).toEqual([
      ...Object.keys(emailCode.implementations.guards),
      'fragmentFailed',
      'fragmentRefused',
      'fragmentSwitched',
      'businessFailure',
      'sessionLost',
      'hasAddress',
    ]);
    expect(machine.implementations.delays).toEqual(emailCode.implementations.delays);
    expect(machine.implementations.actions).toMatchObject(emailCode.implementations.actions);
    expect(machine.implementations.actions).toHaveProperty('failWithFragmentError');
  });

  test("types the journey's own guards and actions from `types`, as setup() does", () => {
    journeySetup({
      fragments: [emailCode],
      types,
      guards: {
        retries: ({ context, event }) => {
          expectTypeOf(context).toEqualTypeOf<Context>();
          expectTypeOf(event).toEqualTypeOf<Events>();
          return event.type === 'retry';
        },
      },
      actions: {
        confirm: assign({ confirmed: ({ context }) => context.email !== undefined }),
        // @ts-expect-error: `confirmed` is a boolean in the context
        confirmBadly: assign({ confirmed: () => 'yes' }),
      },
    });
  });

  test("refuses, at compile time, an implementation of the journey's named like an included one", () => {
    // The same activity twice is one actor, not a clash.
    journeySetup({
      fragments: [emailCode],
      types,
      actors: { deliverMessage: activity('deliverMessage') },
    });
    // Each call below is refused where the name is given (TypeScript reports one error a call).
    journeySetup({
      fragments: [emailCode],
      types,
      // @ts-expect-error: another actor under the fragment's name
      actors: { verifyOtp: fromPromise(async () => ({ valid: true })) },
    });
    // @ts-expect-error: the fragment's guard
    journeySetup({ fragments: [emailCode], types, guards: { 'emailCode.resendOpen': () => true } });
    // @ts-expect-error: the fragment's delay
    journeySetup({ fragments: [emailCode], types, delays: { 'emailCode.codeTtl': 1000 } });
    // @ts-expect-error: one of the kit's outcome guards, with no fragment at all
    journeySetup({ types, guards: { fragmentFailed: () => false } });
    // @ts-expect-error: one of the kit's outcome actions
    journeySetup({ types, actions: { failWith: assign({ confirmed: false }) } });
  });

  test('refuses, at compile time, two fragments that give one name', () => {
    const again = codeChallenge({ ...options, step: 'verify-again' });
    // @ts-expect-error: both name `emailCode.wantsResend`, `emailCode.codeTtl`…
    journeySetup({ fragments: [emailCode, again], types });
    // @ts-expect-error: idem, merged as a group
    mergeImplementations([emailCode, again]);
    // Under another name, the same challenge is a second one.
    const smsCode = codeChallenge({ ...options, name: 'sms-code', channel: 'sms' });
    journeySetup({ fragments: [emailCode, smsCode], types });
  });

  test('checks the names the machine refers to against those it was given', () => {
    journeySetup({ fragments: [emailCode, secondFactorChallenges()], types }).createMachine({
      initial: 'proving',
      context: { journeyId: 'j', settings: {} as never },
      states: {
        proving: {
          on: {
            retry: [
              { guard: 'fragmentFailed', actions: 'failWithFragmentError' },
              { guard: 'totp.refused', actions: 'emailCode.requestResend' },
              // @ts-expect-error: no such guard
              { guard: 'fragmentFaild' },
            ],
          },
        },
      },
    });
  });
});
