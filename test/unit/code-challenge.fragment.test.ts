import { describe, expect, test } from 'vitest';
import { assign } from 'xstate';
import { z } from 'zod';
import { emailChange } from '../../journeys/email-change.js';
import {
  type CodeChallengeHost,
  codeChallenge,
  codeChallengeHost,
  codeChallengeSettings,
} from '../../journeys/fragments/code-challenge.js';
import { registration } from '../../journeys/registration.js';
import { activityNames } from '../../src/activities/catalog.js';
import { createJourneyTestKit } from '../../src/authoring/test-kit.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import {
  defineJourney,
  type JourneyInput,
  journeySetup,
  step,
} from '../../src/journey-kit/index.js';
import { createRegistry } from '../../src/journey-registry/registry.js';

/** A phone number proven by SMS: the same fragment as the email code, another channel. */
interface Context extends CodeChallengeHost {
  phone?: string;
  outcome?: string;
}

const smsCode = codeChallenge({
  name: 'sms-code',
  channel: 'sms',
  step: 'verify-phone',
  purpose: 'phone-verification',
  template: 'phone-verification-code',
  recipient: (context: Context) => context.phone as string,
});

const phoneJourney = defineJourney({
  id: 'phone',
  version: 1,
  title: 'Prove a phone number',
  settings: codeChallengeSettings,
  machine: journeySetup({
    fragments: [smsCode],
    types: {
      context: {} as Context,
      events: {} as { type: 'phone'; input: { phone: string } },
      input: {} as JourneyInput<z.infer<typeof codeChallengeSettings>>,
    },
  }).createMachine({
    id: 'phone',
    output: ({ event }) => event.output,
    context: ({ input }) => codeChallengeHost(input),
    initial: 'number',
    states: {
      number: {
        on: {
          phone: {
            target: 'proving',
            actions: assign({ phone: ({ event }) => event.input.phone }),
          },
        },
      },
      proving: {
        ...smsCode.state,
        onDone: [
          { guard: 'fragmentFailed', target: 'failed' },
          { target: 'proven', actions: assign({ outcome: 'verified' }) },
        ],
      },
      proven: { type: 'final', output: ({ context }) => ({ outcome: context.outcome }) },
      failed: { type: 'final', tags: ['failed'], output: () => ({ error: { code: 'x' } }) },
    },
  }),
  steps: {
    number: step({
      name: 'phone',
      input: z.strictObject({ phone: z.string().regex(/^\+[1-9][0-9]{6,14}$/) }),
    }),
  },
  fragments: { proving: smsCode },
});

function start(verifyOtp: (input: { code: string }) => unknown) {
  return createJourneyTestKit(phoneJourney, {
    activities: {
      issueOtp: () => ({
        challengeId: 'challenge-1',
        messageId: 'sms-1',
        expiresAt: new Date(600_000).toISOString(),
        resendAvailableAt: new Date(30_000).toISOString(),
      }),
      deliverMessage: () => ({ status: 'sent' }),
      verifyOtp,
    },
  });
}

describe('the code challenge fragment', () => {
  test('proves a phone number over SMS with the same steps, limits and outcomes as an email', async () => {
    const kit = start(() => ({ recipient: '+33612345678' }));
    const asked = await kit.submit('phone', { phone: '+33612345678' });
    expect(asked.step).toEqual({
      name: 'verify-phone',
      data: {
        phone: '+33612345678',
        codeLength: 6,
        codeStatus: 'sent',
        expiresAt: new Date(600_000).toISOString(),
        resendAvailableAt: new Date(30_000).toISOString(),
        attemptsLeft: 5,
      },
    });
    expect(kit.callsOf('issueOtp')[0].policy).toMatchObject({
      channel: 'sms',
      purpose: 'phone-verification',
      template: 'phone-verification-code',
    });
    expect(kit.callsOf('issueOtp')[0].recipient).toBe('+33612345678');
    expect(await kit.submit('verify-phone', { code: '123456' })).toEqual({
      status: 'completed',
      result: { outcome: 'verified' },
    });
  });

  test('names its step, refuses a resend during the cooldown and locks after the last wrong try', async () => {
    const kit = start(() => {
      throw businessFailure('invalid_code', { attemptsLeft: 4 });
    });
    await kit.submit('phone', { phone: '+33612345678' });
    expect((await kit.submit('verify-phone', { resend: true })).step?.error).toMatchObject({
      code: 'resend_cooldown',
      status: 429,
    });
    expect((await kit.submit('verify-phone', { code: '000000' })).step?.error).toMatchObject({
      code: 'invalid_code',
      path: '/code',
      detail: { attemptsLeft: 4 },
    });
  });

  test('is one piece of code shared by every journey that includes it, each under its own state', () => {
    const included = [registration, emailChange, phoneJourney].map((definition) =>
      Object.entries(definition.fragments ?? {}).map(([at, fragment]) => [
        definition.id,
        at,
        fragment.name,
      ]),
    );
    expect(included).toEqual([
      [['registration', 'verifyEmail', 'email-code']],
      [['email-change', 'verifyNewAddress', 'email-code']],
      [['phone', 'proving', 'sms-code']],
    ]);
    expect(() =>
      createRegistry([registration, emailChange, phoneJourney], activityNames),
    ).not.toThrow();
  });
});
