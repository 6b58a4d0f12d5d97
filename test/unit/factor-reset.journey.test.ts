import { describe, expect, test } from 'vitest';
import { factorReset } from '../../journeys/factor-reset.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import { createJourneyTestKit, type FakeActivity } from '../../src/authoring/test-kit.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { RunState } from '../../src/run/run-state.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const EMAIL = 'ada@example.com';
const UNKNOWN = 'nobody@example.com';
const INBOX_CODE = '654321';
const WRONG_CODE = '000000';

const stepOf = (view: RunState) => view.step as NonNullable<RunState['step']>;

const crash = () => {
  throw new Error('database unreachable');
};

/**
 * factor-reset@1 against fakes with the contracts of the OTP service (a code sent only to an
 * account's verified address: any other address gets a challenge no code satisfies) and of
 * scheduleFactorReset (due `waitMs` after it is called), remindFactorReset and completeFactorReset.
 */
function startFactorReset(
  options: {
    activities?: Partial<Record<ActivityName, FakeActivity>>;
    start?: Record<string, unknown>;
    settings?: Record<string, unknown>;
  } = {},
) {
  const recipients = new Map<string, string>();
  const kit = createJourneyTestKit(factorReset, {
    requester: 'requester-1',
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.start ? { start: options.start } : {}),
    activities: {
      issueOtp: (input: { recipient: string; policy: { ttlMs: number } }) => {
        const challengeId = `challenge-${recipients.size + 1}`;
        recipients.set(challengeId, input.recipient);
        return {
          challengeId,
          messageId: `code-${recipients.size}`,
          expiresAt: new Date(kit.clock.now() + input.policy.ttlMs).toISOString(),
          resendAvailableAt: new Date(kit.clock.now() + 30 * SECOND).toISOString(),
        };
      },
      verifyOtp: (input: { challengeId: string; code: string }) => {
        const recipient = recipients.get(input.challengeId);
        // onlyToAccount: no code satisfies a challenge for an address with no account.
        if (recipient !== EMAIL || kit.reveal(input.code) !== INBOX_CODE)
          throw businessFailure('invalid_code');
        return { recipient };
      },
      deliverMessage: () => ({ status: 'sent' }),
      scheduleFactorReset: (input: { waitMs: number }) => ({
        resetId: 'reset-1',
        dueAt: new Date(kit.clock.now() + input.waitMs).toISOString(),
      }),
      remindFactorReset: () => ({ status: 'pending' }),
      completeFactorReset: () => ({ status: 'completed' }),
      ...options.activities,
    },
  });
  return kit;
}

/** A run past the address, waiting at `verify-email`. */
async function atInboxCode(options: Parameters<typeof startFactorReset>[0] = {}, email = EMAIL) {
  const kit = startFactorReset(options);
  await kit.submit('email', { email });
  return kit;
}

/** A run past the inbox code: the reset scheduled, the customer answered, the run waiting. */
async function scheduled(options: Parameters<typeof startFactorReset>[0] = {}) {
  const kit = await atInboxCode(options);
  const view = await kit.submit('verify-email', { code: INBOX_CODE });
  return { kit, view };
}

/** The activities called, without the deliveries of the code. */
const callNames = (kit: ReturnType<typeof startFactorReset>) =>
  kit.calls.map((call) => call.name).filter((name) => name !== 'deliverMessage');

/** The run has ended: its machine is done and it takes no more submissions. */
async function expectEnded(kit: ReturnType<typeof startFactorReset>) {
  await kit.view();
  expect(kit.actor.getSnapshot().status).toBe('done');
  await expect(kit.submit('email', { email: EMAIL })).rejects.toMatchObject({
    name: 'SubmissionRefused',
    code: 'journey_closed',
  });
}

const SCHEDULED_AT = new Date(72 * HOUR).toISOString();

describe('factor-reset@1: the way through', () => {
  test('email then verify-email is answered at once completed with the scheduled time, while the run lives on to remind and reset; scheduleFactorReset gets the run challenge and 72 h', async () => {
    const kit = startFactorReset();
    expect(await kit.view()).toEqual({ status: 'active', step: { name: 'email', data: {} } });
    const code = await kit.submit('email', { email: EMAIL });
    expect(stepOf(code)).toEqual({
      name: 'verify-email',
      data: {
        email: EMAIL,
        codeLength: 6,
        codeStatus: 'sent',
        expiresAt: new Date(15 * MINUTE).toISOString(),
        resendAvailableAt: expect.any(String),
        attemptsLeft: 5,
      },
    });
    expect(kit.callsOf('issueOtp')).toEqual([
      {
        journeyId: 'journey-under-test',
        recipient: EMAIL,
        requester: 'requester-1',
        policy: {
          purpose: 'factor-reset',
          channel: 'email',
          digits: 6,
          ttlMs: 15 * MINUTE,
          resendCooldownMs: 30 * SECOND,
          template: 'account-recovery-code',
          onlyToAccount: true,
        },
      },
    ]);
    expect(kit.callsOf('scheduleFactorReset')).toEqual([]);

    const done = await kit.submit('verify-email', { code: INBOX_CODE });
    expect(done).toEqual({ status: 'completed', result: { type: 'scheduled', at: SCHEDULED_AT } });
    expect(kit.callsOf('scheduleFactorReset')).toEqual([
      { journeyId: 'journey-under-test', challengeId: 'challenge-1', waitMs: 72 * HOUR },
    ]);
    // Answered, and still running: finishing, waiting for its timers.
    const snapshot = kit.actor.getSnapshot();
    expect(snapshot.status).toBe('active');
    expect(snapshot.hasTag('finishing')).toBe(true);
    expect(snapshot.matches({ waiting: 'beforeReminder' })).toBe(true);
    // Nothing happens before time passes.
    expect(await kit.view()).toEqual(done);
    expect(kit.callsOf('remindFactorReset')).toEqual([]);
    expect(kit.callsOf('completeFactorReset')).toEqual([]);
    expect(callNames(kit)).toEqual(['issueOtp', 'verifyOtp', 'scheduleFactorReset']);
    // The customer's part is over: no step takes a submission.
    await expect(kit.submit('verify-email', { code: INBOX_CODE })).rejects.toMatchObject({
      name: 'SubmissionRefused',
    });
    expect(kit.events().map((event) => event.type)).not.toContain('completed');
  });

  test('prefills the address from login_hint and passes ui_locales to the code, the schedule, the reminder and the reset', async () => {
    const kit = startFactorReset({ start: { login_hint: EMAIL, ui_locales: 'fr-CA fr' } });
    expect(stepOf(await kit.view())).toEqual({ name: 'email', data: { email: EMAIL } });
    await kit.submit('email', { email: EMAIL });
    expect(kit.callsOf('issueOtp')[0].policy).toMatchObject({ locales: ['fr-CA', 'fr'] });
    await kit.submit('verify-email', { code: INBOX_CODE });
    await kit.advance(72 * HOUR);
    const locales = ['fr-CA', 'fr'];
    expect(kit.callsOf('scheduleFactorReset')).toEqual([
      { journeyId: 'journey-under-test', challengeId: 'challenge-1', waitMs: 72 * HOUR, locales },
    ]);
    expect(kit.callsOf('remindFactorReset')).toEqual([{ resetId: 'reset-1', locales }]);
    expect(kit.callsOf('completeFactorReset')).toEqual([{ resetId: 'reset-1', locales }]);
  });

  test('schedules with the challenge of the code that proved the inbox, after a wrong code and a resend', async () => {
    const kit = await atInboxCode();
    const wrong = await kit.submit('verify-email', { code: WRONG_CODE });
    expect(stepOf(wrong)).toMatchObject({
      name: 'verify-email',
      error: { code: 'invalid_code', path: '/code' },
    });
    expect(kit.callsOf('scheduleFactorReset')).toEqual([]);
    await kit.advance(30 * SECOND);
    await kit.submit('verify-email', { resend: true });
    expect(kit.callsOf('issueOtp')).toHaveLength(2);
    const done = await kit.submit('verify-email', { code: INBOX_CODE });
    expect(done).toMatchObject({ status: 'completed', result: { type: 'scheduled' } });
    expect(kit.callsOf('scheduleFactorReset')).toEqual([
      expect.objectContaining({ challengeId: 'challenge-2' }),
    ]);
  });
});

describe('factor-reset@1: the waiting period', () => {
  test('with default settings, reminds once at 48 h (a day before) and resets once at 72 h, then the run ends completed', async () => {
    const { kit, view } = await scheduled();
    await kit.advance(48 * HOUR - 1);
    expect(kit.callsOf('remindFactorReset')).toEqual([]);
    await kit.advance(1);
    expect(kit.callsOf('remindFactorReset')).toEqual([{ resetId: 'reset-1' }]);
    expect(kit.callsOf('completeFactorReset')).toEqual([]);
    expect(kit.actor.getSnapshot().status).toBe('active');

    await kit.advance(24 * HOUR - 1);
    expect(kit.callsOf('completeFactorReset')).toEqual([]);
    expect(kit.callsOf('remindFactorReset')).toHaveLength(1);
    const ended = await kit.advance(1);
    expect(kit.callsOf('completeFactorReset')).toEqual([{ resetId: 'reset-1' }]);
    // Ends as it was answered.
    expect(ended).toEqual(view);
    await expectEnded(kit);
    expect(kit.events().filter((event) => event.type === 'completed')).toHaveLength(1);

    // Nothing more happens after the end.
    await kit.advance(30 * DAY);
    expect(kit.callsOf('remindFactorReset')).toHaveLength(1);
    expect(kit.callsOf('completeFactorReset')).toHaveLength(1);
    expect(callNames(kit)).toEqual([
      'issueOtp',
      'verifyOtp',
      'scheduleFactorReset',
      'remindFactorReset',
      'completeFactorReset',
    ]);
  });

  test('with default settings, one advance of 72 h reminds and resets', async () => {
    const { kit } = await scheduled();
    await kit.advance(72 * HOUR);
    expect(kit.callsOf('remindFactorReset')).toHaveLength(1);
    expect(kit.callsOf('completeFactorReset')).toHaveLength(1);
    await expectEnded(kit);
  });

  test('with waitMs 10 s and reminderBeforeMs 4 s: reminds at 6 s and resets at 10 s', async () => {
    const { kit, view } = await scheduled({
      settings: { waitMs: 10_000, reminderBeforeMs: 4_000 },
    });
    expect(view).toEqual({
      status: 'completed',
      result: { type: 'scheduled', at: new Date(10_000).toISOString() },
    });
    expect(kit.callsOf('scheduleFactorReset')[0].waitMs).toBe(10_000);
    await kit.advance(6_000 - 1);
    expect(kit.callsOf('remindFactorReset')).toEqual([]);
    await kit.advance(1);
    expect(kit.callsOf('remindFactorReset')).toHaveLength(1);
    await kit.advance(4_000 - 1);
    expect(kit.callsOf('completeFactorReset')).toEqual([]);
    await kit.advance(1);
    expect(kit.callsOf('completeFactorReset')).toEqual([{ resetId: 'reset-1' }]);
    await expectEnded(kit);
  });

  test('a reminder answering cancelled ends the run without any reset: a sign-in with a factor stopped it', async () => {
    const { kit, view } = await scheduled({
      activities: { remindFactorReset: () => ({ status: 'cancelled' }) },
    });
    const ended = await kit.advance(48 * HOUR);
    expect(kit.callsOf('remindFactorReset')).toHaveLength(1);
    expect(ended).toEqual(view);
    await expectEnded(kit);
    await kit.advance(7 * DAY);
    expect(kit.callsOf('completeFactorReset')).toEqual([]);
  });

  test('a reminder out of retries does not stop the reset: completeFactorReset is still called at the due time', async () => {
    const { kit } = await scheduled({ activities: { remindFactorReset: crash } });
    await kit.advance(48 * HOUR);
    expect(kit.callsOf('remindFactorReset')).toHaveLength(1);
    expect(kit.actor.getSnapshot().status).toBe('active');
    await kit.advance(24 * HOUR - 1);
    expect(kit.callsOf('completeFactorReset')).toEqual([]);
    await kit.advance(1);
    expect(kit.callsOf('completeFactorReset')).toEqual([{ resetId: 'reset-1' }]);
    await expectEnded(kit);
  });

  test('a reminder refused as a business failure does not stop the reset either', async () => {
    const { kit } = await scheduled({
      activities: {
        remindFactorReset: () => {
          throw businessFailure('recovery_not_proven');
        },
      },
    });
    await kit.advance(72 * HOUR);
    expect(kit.callsOf('completeFactorReset')).toEqual([{ resetId: 'reset-1' }]);
    await expectEnded(kit);
  });

  test('reminderBeforeMs larger than waitMs: the reminder comes at once (delay 0) and the reset at waitMs', async () => {
    const { kit } = await scheduled({ settings: { waitMs: 10_000, reminderBeforeMs: 60_000 } });
    expect(kit.callsOf('remindFactorReset')).toEqual([]);
    await kit.advance(0);
    expect(kit.callsOf('remindFactorReset')).toEqual([{ resetId: 'reset-1' }]);
    await kit.advance(10_000 - 1);
    expect(kit.callsOf('completeFactorReset')).toEqual([]);
    await kit.advance(1);
    expect(kit.callsOf('completeFactorReset')).toEqual([{ resetId: 'reset-1' }]);
    await expectEnded(kit);
  });

  test('reminderBeforeMs equal to waitMs: the reminder at once, the reset at waitMs', async () => {
    const { kit } = await scheduled({ settings: { waitMs: 10_000, reminderBeforeMs: 10_000 } });
    await kit.advance(0);
    expect(kit.callsOf('remindFactorReset')).toHaveLength(1);
    await kit.advance(10_000 - 1);
    expect(kit.callsOf('completeFactorReset')).toEqual([]);
    await kit.advance(1);
    expect(kit.callsOf('completeFactorReset')).toHaveLength(1);
  });

  test('reminderBeforeMs 0: the reminder at waitMs, and the reset right after it', async () => {
    const { kit } = await scheduled({ settings: { waitMs: 10_000, reminderBeforeMs: 0 } });
    await kit.advance(10_000 - 1);
    expect(kit.callsOf('remindFactorReset')).toEqual([]);
    await kit.advance(1);
    expect(kit.callsOf('remindFactorReset')).toHaveLength(1);
    // The reset's timer (delay 0) is armed once the reminder is done: due now, without time passing.
    await kit.advance(0);
    expect(kit.callsOf('completeFactorReset')).toHaveLength(1);
    expect(kit.clock.now()).toBe(10_000);
    await expectEnded(kit);
  });

  test('completeFactorReset answering cancelled (a sign-in after the reminder) ends the run as answered, once', async () => {
    const { kit, view } = await scheduled({
      activities: { completeFactorReset: () => ({ status: 'cancelled' }) },
    });
    const ended = await kit.advance(72 * HOUR);
    expect(ended).toEqual(view);
    expect(kit.callsOf('completeFactorReset')).toHaveLength(1);
    await expectEnded(kit);
  });

  test('completeFactorReset out of retries fails the run where operators see it (recovery_not_completed): no reset is dropped silently', async () => {
    const { kit } = await scheduled({ activities: { completeFactorReset: crash } });
    const ended = await kit.advance(72 * HOUR);
    expect(ended).toMatchObject({ status: 'failed', error: { code: 'recovery_not_completed' } });
    expect(kit.callsOf('completeFactorReset')).toHaveLength(1);
  });

  test('the run outlives its longest waiting period: 7 days, reminded at 6', async () => {
    expect(factorReset.lifetimeMs).toBe(8 * DAY);
    const { kit } = await scheduled({ settings: { waitMs: 7 * DAY } });
    await kit.advance(6 * DAY);
    expect(kit.callsOf('remindFactorReset')).toHaveLength(1);
    await kit.advance(DAY);
    expect(kit.callsOf('completeFactorReset')).toHaveLength(1);
    await expectEnded(kit);
  });
});

describe('factor-reset@1: the same answers for any address (OWASP WSTG-IDNT-04)', () => {
  test('an address with no account gets the same answers at verify-email, no code works, and nothing is scheduled', async () => {
    const known = await atInboxCode();
    const unknown = await atInboxCode({}, UNKNOWN);
    const [knownView, unknownView] = [await known.view(), await unknown.view()];
    expect(unknownView).toEqual({
      ...knownView,
      step: { ...stepOf(knownView), data: { ...stepOf(knownView).data, email: UNKNOWN } },
    });
    expect(unknown.callsOf('issueOtp')).toEqual([
      { ...known.callsOf('issueOtp')[0], recipient: UNKNOWN },
    ]);
    const [knownWrong, unknownWrong] = [
      await known.submit('verify-email', { code: WRONG_CODE }),
      await unknown.submit('verify-email', { code: WRONG_CODE }),
    ];
    expect(stepOf(knownWrong)).toMatchObject({
      name: 'verify-email',
      error: { code: 'invalid_code', path: '/code', detail: { attemptsLeft: 4 } },
    });
    expect(unknownWrong).toEqual({
      ...knownWrong,
      step: { ...stepOf(knownWrong), data: { ...stepOf(knownWrong).data, email: UNKNOWN } },
    });
    // No code satisfies the unknown address's challenge: no reset is ever scheduled for it.
    const stillRefused = await unknown.submit('verify-email', { code: INBOX_CODE });
    expect(stepOf(stillRefused)).toMatchObject({
      name: 'verify-email',
      error: { code: 'invalid_code' },
    });
    await unknown.advance(7 * DAY);
    expect(unknown.callsOf('scheduleFactorReset')).toEqual([]);
    expect(unknown.callsOf('remindFactorReset')).toEqual([]);
    expect(unknown.callsOf('completeFactorReset')).toEqual([]);
  });
});

describe('factor-reset@1: failures end the run with a code', () => {
  test.each([
    ['a business refusal', () => businessFailure('recovery_not_proven')],
    ['an activity out of retries', () => new Error('database unreachable')],
  ])(
    'scheduleFactorReset failing with %s fails the run with recovery_not_completed, and nothing else is called',
    async (_, error) => {
      const { kit, view } = await scheduled({
        activities: {
          scheduleFactorReset: () => {
            throw error();
          },
        },
      });
      expect(view).toEqual({
        status: 'failed',
        error: { code: 'recovery_not_completed', message: 'The account could not be recovered' },
      });
      await kit.advance(7 * DAY);
      expect(callNames(kit)).toEqual(['issueOtp', 'verifyOtp', 'scheduleFactorReset']);
      expect(kit.actor.getSnapshot().status).toBe('done');
      expect(await kit.view()).toEqual(view);
    },
  );

  test('issueOtp out of retries fails the run with code_not_issued, and nothing is scheduled', async () => {
    const kit = startFactorReset({ activities: { issueOtp: crash } });
    const view = await kit.submit('email', { email: EMAIL });
    expect(view).toMatchObject({ status: 'failed', error: { code: 'code_not_issued' } });
    expect(callNames(kit)).toEqual(['issueOtp']);
  });

  test('verifyOtp out of retries fails the run with code_not_checked, and nothing is scheduled', async () => {
    const kit = await atInboxCode({ activities: { verifyOtp: crash } });
    const view = await kit.submit('verify-email', { code: INBOX_CODE });
    expect(view).toMatchObject({ status: 'failed', error: { code: 'code_not_checked' } });
    expect(callNames(kit)).toEqual(['issueOtp', 'verifyOtp']);
  });
});

describe('factor-reset@1: settings', () => {
  const parse = (settings: Record<string, unknown>) => factorReset.settings.safeParse(settings);

  test('defaults to a 72 h wait, a reminder a day before and 15-minute codes', () => {
    expect(factorReset.settings.parse({})).toMatchObject({
      waitMs: 72 * HOUR,
      reminderBeforeMs: DAY,
      codeTtlMs: 15 * MINUTE,
    });
  });

  test.each([
    ['above 7 days', 7 * DAY + 1],
    ['below 1 s', 999],
    ['zero', 0],
    ['negative', -SECOND],
    ['not a whole number of milliseconds', 1_500.5],
  ])('refuses a waitMs %s', (_, waitMs) => {
    expect(parse({ waitMs }).success).toBe(false);
    expect(() =>
      createJourneyTestKit(factorReset, { activities: {}, settings: { waitMs } }),
    ).toThrow();
  });

  test.each([
    ['7 days', 7 * DAY],
    ['1 s', SECOND],
  ])('accepts a waitMs of %s', (_, waitMs) => {
    expect(parse({ waitMs }).success).toBe(true);
  });

  test('refuses a negative reminderBeforeMs and accepts 0', () => {
    expect(parse({ reminderBeforeMs: -1 }).success).toBe(false);
    expect(parse({ reminderBeforeMs: 0 }).success).toBe(true);
  });
});

describe('factor-reset@1: input refused', () => {
  test.each([
    ['an array of addresses', { email: [EMAIL, 'attacker@example.com'] }],
    ['a comma-separated list', { email: `${EMAIL},attacker@example.com` }],
    ['a space-separated list', { email: `${EMAIL} attacker@example.com` }],
    ['a display name', { email: `Ada <${EMAIL}>` }],
    ['a second field', { email: EMAIL, emails: ['attacker@example.com'] }],
  ])(
    'the email step refuses %s as invalid_input without sending a code (GitLab CVE-2023-7028)',
    async (_, input) => {
      const kit = startFactorReset();
      await expect(kit.submit('email', input)).rejects.toMatchObject({
        name: 'SubmissionRefused',
        code: 'invalid_input',
      });
      expect(kit.calls).toEqual([]);
      expect(stepOf(await kit.view()).name).toBe('email');
    },
  );

  test('the start refuses unknown fields: no account or address can be named at start', () => {
    const start = factorReset.start?.input;
    expect(start?.safeParse({ login_hint: EMAIL }).success).toBe(true);
    for (const extra of [{ user_id: 'user-1' }, { email: EMAIL }, { reset_id: 'reset-1' }])
      expect(start?.safeParse({ login_hint: EMAIL, ...extra }).success, JSON.stringify(extra)).toBe(
        false,
      );
  });
});
