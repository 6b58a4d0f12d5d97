import { describe, expect, test } from 'vitest';
import { emailChange } from '../../journeys/email-change.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import {
  createJourneyTestKit,
  type FakeActivity,
  type JourneyTestKitOptions,
} from '../../src/authoring/test-kit.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { SessionRef } from '../../src/journey-kit/define-journey.js';
import type { RunState } from '../../src/run/run-state.js';

const MINUTE = 60_000;
const NEW_EMAIL = 'ada.new@example.com';
const WRONG_CODE = '000000';
const session: SessionRef = {
  id: 'session-1',
  userId: 'user-1',
  aal: 1,
  amr: ['pwd'],
  authTime: '2026-11-30T12:00:00.000Z',
  factorAuthTimes: { pwd: '2026-11-30T12:00:00.000Z' },
};

const stepOf = (view: RunState) => view.step as NonNullable<RunState['step']>;

/** email-change@1 against fakes with the contracts of the otp, identifiers and messages activities. */
function startEmailChange(
  options: Omit<JourneyTestKitOptions, 'activities'> & {
    taken?: string[];
    activities?: Partial<Record<ActivityName, FakeActivity>>;
  } = {},
) {
  const codes = new Map<string, string | null>();
  const taken = new Set(options.taken ?? []);
  const fakes: Partial<Record<ActivityName, FakeActivity>> = {
    issueOtp: (input: { recipient: string; policy: { ttlMs: number } }) => {
      const challengeId = `challenge-${codes.size + 1}`;
      codes.set(challengeId, taken.has(input.recipient) ? null : String(654321 - codes.size));
      const now = kit.clock.now();
      return {
        challengeId,
        messageId: `code-message-${codes.size}`,
        expiresAt: new Date(now + input.policy.ttlMs).toISOString(),
        resendAvailableAt: new Date(now + 30_000).toISOString(),
      };
    },
    verifyOtp: (input: { challengeId: string; code: string }) => {
      const code = codes.get(input.challengeId);
      if (!code || kit.reveal(input.code) !== code)
        throw businessFailure('invalid_code', { attemptsLeft: 4 });
      return { recipient: NEW_EMAIL };
    },
    replaceEmail: () => ({ messageId: 'notice-1' }),
    deliverMessage: () => ({ status: 'sent' }),
  };
  const { taken: _, activities, ...kitOptions } = options;
  const kit = createJourneyTestKit(emailChange, {
    session,
    ...kitOptions,
    activities: { ...fakes, ...activities },
  });
  return { kit, codeOf: (challengeId = `challenge-${codes.size}`) => codes.get(challengeId) };
}

async function atVerify(options: Parameters<typeof startEmailChange>[0] = {}) {
  const run = startEmailChange(options);
  await run.kit.submit('new-email', { email: NEW_EMAIL });
  return run;
}

describe('email-change@1: the way through', () => {
  test('asks for the new address, proves it by code, replaces it and tells the old address', async () => {
    const { kit, codeOf } = startEmailChange({ journeyId: 'run-1' });
    expect(await kit.view()).toEqual({ status: 'active', step: { name: 'new-email', data: {} } });

    const verify = await kit.submit('new-email', { email: '  Ada.New@Example.COM ' });
    expect(stepOf(verify)).toMatchObject({
      name: 'verify-email',
      data: { email: NEW_EMAIL, codeLength: 6, codeStatus: 'sent', attemptsLeft: 5 },
    });
    // The code goes to the new address, under the email-change policy.
    expect(kit.callsOf('issueOtp')).toEqual([
      {
        journeyId: 'run-1',
        recipient: NEW_EMAIL,
        policy: {
          purpose: 'email-change',
          channel: 'email',
          digits: 6,
          ttlMs: 10 * MINUTE,
          resendCooldownMs: 30_000,
          template: 'email-change-code',
          whenTaken: { template: 'email-change-address-in-use' },
        },
      },
    ]);

    const done = await kit.submit('verify-email', { code: codeOf() as string });
    expect(done).toEqual({ status: 'completed', result: { type: 'none' } });
    // The identifier of the session's customer, while that session lives; the notice to the old
    // address is a template without code.
    expect(kit.callsOf('replaceEmail')).toEqual([
      {
        journeyId: 'run-1',
        session,
        value: NEW_EMAIL,
        notifyPrevious: { template: 'email-changed' },
      },
    ]);
    expect(kit.callsOf('deliverMessage')).toEqual([
      { messageId: 'code-message-1' },
      { messageId: 'notice-1' },
    ]);
    expect(kit.actor.getSnapshot().status).toBe('done');
  });

  test('answers the change at once and delivers the notice after, without the customer waiting', async () => {
    const { kit, codeOf } = await atVerify({
      activities: {
        deliverMessage: (input: { messageId: string }) =>
          input.messageId === 'notice-1' ? new Promise(() => {}) : { status: 'sent' },
      },
    });
    const done = await kit.submit('verify-email', { code: codeOf() as string });
    expect(done).toEqual({ status: 'completed', result: { type: 'none' } });
    // Still delivering: the run is not over, but it takes no more submissions.
    expect(kit.actor.getSnapshot().status).toBe('active');
    await expect(kit.submit('verify-email', { code: '123456' })).rejects.toMatchObject({
      code: 'journey_closed',
    });
  });

  test('completes without a notice when the customer had no previous address', async () => {
    const { kit, codeOf } = await atVerify({ activities: { replaceEmail: () => ({}) } });
    expect(await kit.submit('verify-email', { code: codeOf() as string })).toEqual({
      status: 'completed',
      result: { type: 'none' },
    });
    expect(kit.callsOf('deliverMessage')).toEqual([{ messageId: 'code-message-1' }]);
  });

  test("writes the code and the notice in the customer's languages, and returns to the app", async () => {
    const { kit, codeOf } = startEmailChange({
      start: { ui_locales: 'fr-CA fr', return_to: 'https://app.example/account' },
    });
    await kit.submit('new-email', { email: NEW_EMAIL });
    expect(kit.callsOf('issueOtp')[0].policy.locales).toEqual(['fr-CA', 'fr']);
    const done = await kit.submit('verify-email', { code: codeOf() as string });
    expect(kit.callsOf('replaceEmail')[0].notifyPrevious).toEqual({
      template: 'email-changed',
      locales: ['fr-CA', 'fr'],
    });
    expect(done).toEqual({
      status: 'completed',
      result: { type: 'none' },
      returnTo: 'https://app.example/account',
    });
  });
});

describe('email-change@1: an address already in use', () => {
  test('answers exactly as for a free address: same step, same refusal of a wrong code (no enumeration)', async () => {
    const answers = async (taken: string[]) => {
      const { kit } = startEmailChange({ taken });
      const views = [
        await kit.submit('new-email', { email: NEW_EMAIL }),
        await kit.submit('verify-email', { code: WRONG_CODE }),
      ];
      return { views, calls: kit.calls.map((call) => call.name) };
    };
    expect(await answers([NEW_EMAIL])).toEqual(await answers([]));
  });

  test('never completes: no code works for an address that is not free', async () => {
    const { kit } = await atVerify({ taken: [NEW_EMAIL] });
    for (const guess of ['654321', '123456']) {
      const view = await kit.submit('verify-email', { code: guess });
      expect(stepOf(view)).toMatchObject({ name: 'verify-email', error: { code: 'invalid_code' } });
    }
    expect(kit.callsOf('replaceEmail')).toEqual([]);
  });
});

describe('email-change@1: failures', () => {
  test.each([
    ['the session was logged out meanwhile', 'session_required'],
    ['the address was claimed since its code was sent', 'email_taken'],
  ] as const)('ends failed when %s (%s), changing nothing', async (_, code) => {
    const { kit, codeOf } = await atVerify({
      activities: {
        replaceEmail: () => {
          throw businessFailure(code);
        },
      },
    });
    const view = await kit.submit('verify-email', { code: codeOf() as string });
    expect(view).toMatchObject({ status: 'failed', error: { code } });
    expect(kit.callsOf('deliverMessage')).toEqual([{ messageId: 'code-message-1' }]);
  });

  test('ends failed with a generic error when the change fails for a non-business reason (ASVS 7.4.1)', async () => {
    const { kit, codeOf } = await atVerify({
      activities: {
        replaceEmail: () => {
          throw new Error('connection reset');
        },
      },
    });
    expect(await kit.submit('verify-email', { code: codeOf() as string })).toEqual({
      status: 'failed',
      error: { code: 'identifier_not_changed', message: 'The address could not be changed' },
    });
  });

  test('ends failed when the code cannot be issued (code_not_issued)', async () => {
    const { kit } = startEmailChange({
      activities: {
        issueOtp: () => {
          throw new Error('database unreachable');
        },
      },
    });
    expect(await kit.submit('new-email', { email: NEW_EMAIL })).toEqual({
      status: 'failed',
      error: { code: 'code_not_issued', message: 'The code could not be issued' },
    });
  });

  test('refuses an address that is not a plain email', async () => {
    const { kit } = startEmailChange();
    await expect(kit.submit('new-email', { email: 'not-an-address' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(
      kit.submit('new-email', { email: NEW_EMAIL, userId: 'someone-else' }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
  });

  test('ends abandoned at the step left for 30 minutes', async () => {
    const { kit } = await atVerify();
    expect(await kit.advance(30 * MINUTE)).toEqual({
      status: 'abandoned',
      step: { name: 'verify-email', data: {} },
    });
  });
});
