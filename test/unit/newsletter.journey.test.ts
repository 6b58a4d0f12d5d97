import { describe, expect, test } from 'vitest';
import { newsletter } from '../../journeys/newsletter.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import {
  createJourneyTestKit,
  type FakeActivity,
  type JourneyTestKitOptions,
} from '../../src/authoring/test-kit.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { RunState } from '../../src/run/run-state.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const EMAIL = 'ada@example.com';
const WRONG_CODE = '000000';

const stepOf = (view: RunState) => view.step as NonNullable<RunState['step']>;

/**
 * newsletter@1 against fakes with the contracts of the otp, messages and subscriptions activities.
 * `subscribed` lists the addresses the fake store already holds.
 */
function startNewsletter(
  options: Omit<JourneyTestKitOptions, 'activities'> & {
    subscribed?: string[];
    activities?: Partial<Record<ActivityName, FakeActivity>>;
  } = {},
) {
  const codes = new Map<string, string>();
  const store = new Map((options.subscribed ?? []).map((address) => [address, 'earlier-run']));
  const fakes: Partial<Record<ActivityName, FakeActivity>> = {
    issueOtp: (input: { policy: { ttlMs: number } }) => {
      const challengeId = `challenge-${codes.size + 1}`;
      codes.set(challengeId, String(654321 - codes.size));
      const now = kit.clock.now();
      return {
        challengeId,
        messageId: `code-message-${codes.size}`,
        expiresAt: new Date(now + input.policy.ttlMs).toISOString(),
        resendAvailableAt: new Date(now + 30 * SECOND).toISOString(),
      };
    },
    verifyOtp: (input: { challengeId: string; code: string }) => {
      if (kit.reveal(input.code) !== codes.get(input.challengeId))
        throw businessFailure('invalid_code', { attemptsLeft: 4 });
      return { recipient: EMAIL };
    },
    deliverMessage: () => ({ status: 'sent' }),
    // One row per address: a confirmation replaces the last one.
    recordSubscription: (input: { journeyId: string; address: string }) => {
      store.set(input.address, input.journeyId);
      return { subscriptionId: `subscription-${input.address}` };
    },
  };
  const { subscribed: _, activities, ...kitOptions } = options;
  const kit = createJourneyTestKit(newsletter, {
    ...kitOptions,
    activities: { ...fakes, ...activities },
  });
  return {
    kit,
    store,
    codeOf: (challengeId = `challenge-${codes.size}`) => codes.get(challengeId),
  };
}

async function atConfirm(options: Parameters<typeof startNewsletter>[0] = {}) {
  const run = startNewsletter(options);
  await run.kit.submit('subscribe', { email: EMAIL });
  return run;
}

describe('newsletter@1: the way through', () => {
  test('asks for the address, sends a code to it and records the subscription it confirms', async () => {
    const { kit, store, codeOf } = startNewsletter({ journeyId: 'run-1' });
    expect(await kit.view()).toEqual({
      status: 'active',
      step: { name: 'subscribe', data: { list: 'newsletter', policyVersion: '2026-11-01' } },
    });

    const confirm = await kit.submit('subscribe', { email: '  Ada@Example.COM ' });
    expect(stepOf(confirm)).toMatchObject({
      name: 'confirm',
      data: { email: EMAIL, codeLength: 6, codeStatus: 'sent', attemptsLeft: 5 },
    });
    // The code lives as long as the run waits for it: seven days.
    expect(kit.callsOf('issueOtp')).toEqual([
      {
        journeyId: 'run-1',
        recipient: EMAIL,
        policy: {
          purpose: 'newsletter',
          channel: 'email',
          digits: 6,
          ttlMs: 7 * DAY,
          resendCooldownMs: 30 * SECOND,
          template: 'newsletter-code',
        },
      },
    ]);
    expect(kit.callsOf('deliverMessage')).toEqual([{ messageId: 'code-message-1' }]);

    const done = await kit.submit('confirm', { code: codeOf() as string });
    expect(done).toEqual({ status: 'completed', result: { type: 'none' } });
    expect(kit.callsOf('recordSubscription')).toEqual([
      { journeyId: 'run-1', list: 'newsletter', address: EMAIL, policyVersion: '2026-11-01' },
    ]);
    expect(store.get(EMAIL)).toBe('run-1');
  });

  test('refuses a wrong code at the confirm step, records nothing, and confirms with the right one', async () => {
    const { kit, codeOf } = await atConfirm();
    const refused = await kit.submit('confirm', { code: WRONG_CODE });
    expect(stepOf(refused)).toMatchObject({
      name: 'confirm',
      data: { attemptsLeft: 4 },
      error: { code: 'invalid_code', status: 422, path: '/code', detail: { attemptsLeft: 4 } },
    });
    expect(kit.callsOf('recordSubscription')).toEqual([]);
    expect(await kit.submit('confirm', { code: codeOf() as string })).toEqual({
      status: 'completed',
      result: { type: 'none' },
    });
  });

  test('records the list and terms version of its settings, and shows them at the first step', async () => {
    const { kit, codeOf } = startNewsletter({
      settings: { list: 'release-notes', policyVersion: '2027-01-15' },
    });
    expect(stepOf(await kit.view()).data).toEqual({
      list: 'release-notes',
      policyVersion: '2027-01-15',
    });
    await kit.submit('subscribe', { email: EMAIL });
    await kit.submit('confirm', { code: codeOf() as string });
    expect(kit.callsOf('recordSubscription')[0]).toMatchObject({
      list: 'release-notes',
      policyVersion: '2027-01-15',
    });
  });

  test("writes the code in the customer's languages", async () => {
    const { kit } = startNewsletter({ start: { ui_locales: 'fr-CA fr' } });
    await kit.submit('subscribe', { email: EMAIL });
    expect(kit.callsOf('issueOtp')[0].policy.locales).toEqual(['fr-CA', 'fr']);
  });
});

describe('newsletter@1: the reminder', () => {
  test('sends a fresh code 3 days after the first when the address is still unconfirmed, not before', async () => {
    const { kit, codeOf } = await atConfirm();
    await kit.advance(3 * DAY - SECOND);
    expect(kit.callsOf('issueOtp')).toHaveLength(1);

    const reminded = await kit.advance(SECOND);
    expect(kit.callsOf('issueOtp')).toHaveLength(2);
    expect(kit.callsOf('issueOtp')[1].policy.template).toBe('newsletter-code');
    expect(kit.callsOf('deliverMessage')).toEqual([
      { messageId: 'code-message-1' },
      { messageId: 'code-message-2' },
    ]);
    // The same step, waiting for the new code: the reminder's code replaces the first.
    expect(stepOf(reminded)).toMatchObject({ name: 'confirm', data: { codeStatus: 'sent' } });
    expect(
      stepOf(await kit.submit('confirm', { code: codeOf('challenge-1') as string })).error,
    ).toMatchObject({ code: 'invalid_code' });
    expect(await kit.submit('confirm', { code: codeOf('challenge-2') as string })).toMatchObject({
      status: 'completed',
    });
  });

  test('reminds once only', async () => {
    const { kit } = await atConfirm({ settings: { reminderAfterMs: 10 * MINUTE } });
    await kit.advance(60 * MINUTE);
    expect(kit.callsOf('issueOtp')).toHaveLength(2);
  });

  test('takes its delay from the settings, as a deployment or a test may shorten it', async () => {
    const { kit } = await atConfirm({ settings: { reminderAfterMs: 10 * MINUTE } });
    await kit.advance(10 * MINUTE - SECOND);
    expect(kit.callsOf('issueOtp')).toHaveLength(1);
    await kit.advance(SECOND);
    expect(kit.callsOf('issueOtp')).toHaveLength(2);
  });

  test('is not sent once the address is confirmed', async () => {
    const { kit, codeOf } = await atConfirm({ settings: { reminderAfterMs: 10 * MINUTE } });
    await kit.submit('confirm', { code: codeOf() as string });
    await kit.advance(20 * MINUTE);
    expect(kit.callsOf('issueOtp')).toHaveLength(1);
  });
});

describe('newsletter@1: the end of the wait', () => {
  test('ends expired at the confirm step 7 days after the start, its lifetime, not abandoned', async () => {
    expect(newsletter.lifetimeMs).toBe(7 * DAY);
    const { kit } = await atConfirm();
    expect(await kit.advance(7 * DAY)).toMatchObject({
      status: 'expired',
      step: { name: 'confirm' },
    });
    // The reminder went out on the way; nothing was recorded.
    expect(kit.callsOf('issueOtp')).toHaveLength(2);
    expect(kit.callsOf('recordSubscription')).toHaveLength(0);
  });

  test('still confirms with the reminded code a second before the 7 days are out', async () => {
    const { kit, codeOf } = await atConfirm();
    const waiting = await kit.advance(7 * DAY - SECOND);
    expect(waiting).toMatchObject({ status: 'active', step: { name: 'confirm' } });
    expect(await kit.submit('confirm', { code: codeOf() as string })).toMatchObject({
      status: 'completed',
    });
  });

  test('ends abandoned at the subscribe step left for 30 minutes, as any step', async () => {
    const { kit } = startNewsletter();
    expect(await kit.advance(30 * MINUTE)).toEqual({
      status: 'abandoned',
      step: { name: 'subscribe', data: {} },
    });
  });
});

describe('newsletter@1: an address already subscribed', () => {
  test('goes through the same steps with the same answers (no enumeration), and is confirmed again', async () => {
    const answers = async (subscribed: string[]) => {
      const { kit, codeOf } = startNewsletter({ subscribed });
      const views = [
        await kit.submit('subscribe', { email: EMAIL }),
        await kit.submit('confirm', { code: WRONG_CODE }),
        await kit.submit('confirm', { code: codeOf() as string }),
      ];
      return { views, calls: kit.calls.map((call) => call.name) };
    };
    const free = await answers([]);
    expect(await answers([EMAIL])).toEqual(free);
    expect(free.calls).toEqual([
      'issueOtp',
      'deliverMessage',
      'verifyOtp',
      'verifyOtp',
      'recordSubscription',
    ]);
  });
});

describe('newsletter@1: failures', () => {
  test('ends failed when the subscription cannot be recorded (subscription_not_recorded)', async () => {
    const { kit, codeOf } = await atConfirm({
      activities: {
        recordSubscription: () => {
          throw new Error('database unreachable');
        },
      },
    });
    expect(await kit.submit('confirm', { code: codeOf() as string })).toEqual({
      status: 'failed',
      error: {
        code: 'subscription_not_recorded',
        message: 'The subscription could not be recorded',
      },
    });
  });

  test('ends failed when the code cannot be issued (code_not_issued)', async () => {
    const { kit } = startNewsletter({
      activities: {
        issueOtp: () => {
          throw new Error('database unreachable');
        },
      },
    });
    expect(await kit.submit('subscribe', { email: EMAIL })).toEqual({
      status: 'failed',
      error: { code: 'code_not_issued', message: 'The code could not be issued' },
    });
  });

  test('refuses an address that is not a plain email, and any other field', async () => {
    const { kit } = startNewsletter();
    await expect(kit.submit('subscribe', { email: 'Ada <ada@example.com>' })).rejects.toMatchObject(
      { code: 'invalid_input' },
    );
    await expect(
      kit.submit('subscribe', { email: EMAIL, list: 'everything' }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
  });
});

describe('newsletter@1: the journey events of a run, as the funnel counts them', () => {
  const counted = (kit: ReturnType<typeof startNewsletter>['kit']) =>
    kit.events().map((event) => [event.seq, event.type, event.step, event.detail?.code]);

  test('the test kit runs the workflow loop: entered, submitted and rejected steps, then the end', async () => {
    const { kit, codeOf } = startNewsletter();
    await kit.submit('subscribe', { email: EMAIL });
    await kit.submit('confirm', { code: WRONG_CODE });
    await kit.submit('confirm', { code: codeOf() as string });
    expect(counted(kit)).toEqual([
      [1, 'started', undefined, undefined],
      [2, 'step_entered', 'subscribe', undefined],
      [3, 'step_submitted', 'subscribe', undefined],
      [4, 'step_entered', 'confirm', undefined],
      [5, 'step_submitted', 'confirm', undefined],
      [6, 'step_rejected', 'confirm', 'invalid_code'],
      [7, 'step_submitted', 'confirm', undefined],
      [8, 'completed', undefined, undefined],
    ]);
  });

  test('a run left waiting ends abandoned at its step, counted once', async () => {
    const { kit } = startNewsletter({ stepTimeoutMs: 10 * MINUTE });
    await kit.submit('subscribe', { email: EMAIL });
    expect(await kit.advance(10 * MINUTE)).toEqual({
      status: 'abandoned',
      step: { name: 'confirm', data: {} },
    });
    expect(counted(kit).slice(-2)).toEqual([
      [4, 'step_entered', 'confirm', undefined],
      [5, 'abandoned', 'confirm', undefined],
    ]);
  });
});
