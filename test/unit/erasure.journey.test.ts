import { describe, expect, test } from 'vitest';
import { erasure } from '../../journeys/erasure.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import { defaultActivityResults } from '../../src/authoring/simulated-activities.js';
import { createJourneyTestKit, type FakeActivity } from '../../src/authoring/test-kit.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { SessionRef } from '../../src/journey-kit/define-journey.js';

const SECOND = 1_000;
const HOUR = 3_600 * SECOND;
const DAY = 24 * HOUR;
const GRACE = 30 * DAY;
/** The simulated clock starts at the epoch: the default grace period ends here. */
const DUE_AT = new Date(GRACE).toISOString();

const session: SessionRef = {
  id: 'session-1',
  userId: 'user-1',
  aal: 2,
  amr: ['pwd', 'otp'],
  authTime: '2026-12-01T12:00:00.000Z',
  factorAuthTimes: { pwd: '2026-12-01T12:00:00.000Z', otp: '2026-12-01T12:00:00.000Z' },
};

const crash = () => {
  throw new Error('database unreachable');
};

/** One answer per call, in order, the last repeating. */
const inTurn =
  (...answers: unknown[]): FakeActivity =>
  () =>
    answers.length > 1 ? answers.shift() : answers[0];

/**
 * erasure@1 on the run's session against fakes with the contracts of requestErasure (due `graceMs`
 * after it is called) and completeErasure (erases once due).
 */
function startErasure(
  options: {
    activities?: Partial<Record<ActivityName, FakeActivity>>;
    start?: Record<string, unknown>;
    settings?: Record<string, unknown>;
  } = {},
) {
  return createJourneyTestKit(erasure, {
    session,
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.start ? { start: options.start } : {}),
    activities: {
      // Called as the run starts, before the kit is returned: the simulated clock reads 0 then.
      requestErasure: (input: { graceMs: number }) => ({
        erasureId: 'erasure-1',
        dueAt: new Date(input.graceMs).toISOString(),
      }),
      completeErasure: () => ({ status: 'completed' }),
      ...options.activities,
    },
  });
}

/** A run past its request: the erasure scheduled, the customer answered, the run waiting. */
async function scheduled(options: Parameters<typeof startErasure>[0] = {}) {
  const kit = startErasure(options);
  const view = await kit.view();
  return { kit, view };
}

/** The run has ended: its machine is done and nothing more is called, however long it waits. */
async function expectEnded(kit: ReturnType<typeof startErasure>) {
  await kit.view();
  expect(kit.actor.getSnapshot().status).toBe('done');
  const calls = kit.calls.length;
  await kit.advance(GRACE);
  expect(kit.calls).toHaveLength(calls);
}

describe('erasure@1: scheduling', () => {
  test("is answered at once with the scheduled time, requested on the run's session with the grace period and the customer's languages, while the run lives on to erase", async () => {
    const { kit, view } = await scheduled({ start: { ui_locales: 'fr-CA fr' } });
    expect(view).toEqual({ status: 'completed', result: { type: 'scheduled', at: DUE_AT } });
    expect(kit.callsOf('requestErasure')).toEqual([
      { session, graceMs: GRACE, locales: ['fr-CA', 'fr'] },
    ]);
    // Answered, and still running: finishing, waiting for its timer.
    const snapshot = kit.actor.getSnapshot();
    expect(snapshot.status).toBe('active');
    expect(snapshot.hasTag('finishing')).toBe(true);
    expect(snapshot.matches({ waiting: 'inGrace' })).toBe(true);
    expect(kit.callsOf('completeErasure')).toEqual([]);
    expect(kit.events().map((event) => event.type)).not.toContain('completed');
    // The customer's part is over: the journey has no step to submit.
    await expect(kit.submit('confirm', {})).rejects.toMatchObject({
      name: 'SubmissionRefused',
    });
  });

  test('requests without locales when the start names none', async () => {
    const { kit } = await scheduled();
    expect(kit.callsOf('requestErasure')).toEqual([{ session, graceMs: GRACE }]);
  });

  test('requestErasure refusing with a business failure (the session ended) fails the run with that code, and nothing is erased', async () => {
    const { kit, view } = await scheduled({
      activities: {
        requestErasure: () => {
          throw businessFailure('session_required');
        },
      },
    });
    expect(view).toEqual({
      status: 'failed',
      error: { code: 'session_required', message: 'Sign in first' },
    });
    await expectEnded(kit);
    expect(kit.callsOf('completeErasure')).toEqual([]);
  });

  test('requestErasure out of retries fails the run with erasure_not_scheduled, and nothing is erased', async () => {
    const { kit, view } = await scheduled({ activities: { requestErasure: crash } });
    expect(view).toEqual({
      status: 'failed',
      error: { code: 'erasure_not_scheduled', message: 'The erasure could not be scheduled' },
    });
    await expectEnded(kit);
    expect(kit.callsOf('completeErasure')).toEqual([]);
  });
});

describe('erasure@1: the grace period', () => {
  test('erases nothing before 30 days have passed, then erases once and ends as it answered', async () => {
    const { kit, view } = await scheduled();
    await kit.advance(GRACE - 1);
    expect(kit.callsOf('completeErasure')).toEqual([]);
    expect(kit.actor.getSnapshot().status).toBe('active');
    const ended = await kit.advance(1);
    expect(kit.callsOf('completeErasure')).toEqual([{ erasureId: 'erasure-1' }]);
    expect(ended).toEqual(view);
    await expectEnded(kit);
    expect(kit.callsOf('completeErasure')).toHaveLength(1);
    expect(kit.events().filter((event) => event.type === 'completed')).toHaveLength(1);
  });

  test('completeErasure answering cancelled (a sign-in kept the account) ends the run completed, as it answered, erasing nothing more', async () => {
    const { kit, view } = await scheduled({
      activities: { completeErasure: () => ({ status: 'cancelled' }) },
    });
    const ended = await kit.advance(GRACE);
    expect(ended).toEqual({ status: 'completed', result: { type: 'scheduled', at: DUE_AT } });
    expect(ended).toEqual(view);
    expect(kit.callsOf('completeErasure')).toHaveLength(1);
    await expectEnded(kit);
  });

  test('completeErasure out of retries fails the run where operators see it (erasure_not_completed): no erasure is dropped silently', async () => {
    const { kit } = await scheduled({ activities: { completeErasure: crash } });
    const ended = await kit.advance(GRACE);
    expect(ended).toEqual({
      status: 'failed',
      error: { code: 'erasure_not_completed', message: 'The erasure could not be completed' },
    });
    expect(kit.callsOf('completeErasure')).toHaveLength(1);
    await expectEnded(kit);
  });

  test('a business failure from completeErasure fails the run with erasure_not_completed too: the customer is no longer there to read its code', async () => {
    const { kit } = await scheduled({
      activities: {
        completeErasure: () => {
          throw businessFailure('session_required');
        },
      },
    });
    expect(await kit.advance(GRACE)).toMatchObject({
      status: 'failed',
      error: { code: 'erasure_not_completed' },
    });
  });
});

describe('erasure@1: a legal hold', () => {
  test('a hold standing on the day ends the run as it answered: the erasure waits for the hold, whose lifting erases', async () => {
    const { kit, view } = await scheduled({
      activities: { completeErasure: inTurn({ status: 'held' }) },
    });
    const ended = await kit.advance(GRACE);
    expect(kit.callsOf('completeErasure')).toEqual([{ erasureId: 'erasure-1' }]);
    expect(ended).toEqual(view);
    await expectEnded(kit);
  });

  test('the run outlives the longest grace period: its lifetime is 90 days and a day', () => {
    expect(erasure.lifetimeMs).toBe(90 * DAY + DAY);
  });
});

describe('erasure@1: settings', () => {
  test('defaults to a 30-day grace period and a sign-in within 15 minutes', () => {
    expect(erasure.settings.parse({})).toEqual({ graceMs: GRACE, maxAgeSeconds: 900 });
  });

  test('with graceMs 10 s, requests a 10 s grace period, answers when it is due and erases at 10 s', async () => {
    const { kit, view } = await scheduled({ settings: { graceMs: 10 * SECOND } });
    expect(view).toEqual({
      status: 'completed',
      result: { type: 'scheduled', at: new Date(10 * SECOND).toISOString() },
    });
    expect(kit.callsOf('requestErasure')).toEqual([{ session, graceMs: 10 * SECOND }]);
    await kit.advance(10 * SECOND - 1);
    expect(kit.callsOf('completeErasure')).toEqual([]);
    await kit.advance(1);
    expect(kit.callsOf('completeErasure')).toEqual([{ erasureId: 'erasure-1' }]);
    await expectEnded(kit);
  });

  test.each([
    ['above 90 days', { graceMs: 90 * DAY + 1 }],
    ['below 1 s', { graceMs: 999 }],
    ['not a whole number of milliseconds', { graceMs: 1_500.5 }],
    ['with a maxAgeSeconds of 0', { maxAgeSeconds: 0 }],
    ['with an unknown setting', { waitMs: DAY }],
  ])('refuses settings %s', (_, settings) => {
    expect(erasure.settings.safeParse(settings).success).toBe(false);
  });

  test('accepts a grace period of 90 days and of 1 s', () => {
    expect(erasure.settings.safeParse({ graceMs: 90 * DAY }).success).toBe(true);
    expect(erasure.settings.safeParse({ graceMs: SECOND }).success).toBe(true);
  });
});

describe('erasure@1: starting', () => {
  const requirement = (settings: Record<string, unknown>) =>
    erasure.start?.session?.(erasure.settings.parse(settings));

  test("requires a session signed in within 15 minutes at the account's highest level", () => {
    expect(requirement({})).toEqual({ maxAgeSeconds: 900, accountAal: true });
  });

  test('takes how recent the sign-in must be from the settings', () => {
    expect(requirement({ maxAgeSeconds: 300 })).toEqual({ maxAgeSeconds: 300, accountAal: true });
  });

  test('the start takes ui_locales only: no account or erasure can be named at start', () => {
    const start = erasure.start?.input;
    expect(start?.safeParse({}).success).toBe(true);
    expect(start?.safeParse({ ui_locales: 'de' }).success).toBe(true);
    for (const extra of [{ user_id: 'user-2' }, { graceMs: 0 }, { login_hint: 'a@example.com' }])
      expect(start?.safeParse(extra).success, JSON.stringify(extra)).toBe(false);
  });
});

describe('erasure@1: the simulated activities', () => {
  test('schedule at their due time and erase once the grace period has passed', async () => {
    const kit = createJourneyTestKit(erasure, {
      session,
      activities: {
        requestErasure: defaultActivityResults.requestErasure as FakeActivity,
        completeErasure: defaultActivityResults.completeErasure as FakeActivity,
      },
    });
    const view = await kit.view();
    expect(view).toEqual({
      status: 'completed',
      result: { type: 'scheduled', at: '2026-02-01T00:00:00.000Z' },
    });
    expect(await kit.advance(GRACE)).toEqual(view);
    expect(kit.callsOf('completeErasure')).toEqual([{ erasureId: 'erasure-1' }]);
    expect(kit.actor.getSnapshot().status).toBe('done');
  });
});
