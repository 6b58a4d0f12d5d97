import { beforeAll, describe, expect, test } from 'vitest';
import { registrationV1 } from '../../journeys/registration-v1.js';
import { registrationV2 as registration } from '../../journeys/registration-v2.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import {
  createJourneyTestKit,
  type FakeActivity,
  type JourneyTestKitOptions,
} from '../../src/authoring/test-kit.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { JourneyDefinition } from '../../src/journey-kit/define-journey.js';
import type { RunState } from '../../src/run/run-state.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';
const TERMS = { accept: true, policyVersion: '2026-11-01' };
// Never issued by the fake service: always a wrong guess.
const WRONG_CODE = '000000';

/** What the tests read of an issue or an account call, whichever activity plays the role. */
interface IssueCall {
  journeyId: string;
  email: string;
  purpose: string;
  ttlMs: number;
  resendCooldownMs: number;
}
interface AccountCall {
  journeyId: string;
  email: string;
  passwordHash: string;
  termsVersion: string;
}
type Role = 'issue' | 'verify' | 'create';

/**
 * registration@1 as it was written, and registration@2 built from the shared code challenge and the
 * capability activities: the same behaviour, so the same tests, with each role played by the
 * activity its version invokes.
 */
// biome-ignore-start lint/suspicious/noExplicitAny: each version reads its own activities' inputs
interface Version {
  key: string;
  definition: JourneyDefinition;
  names: Record<Role, ActivityName>;
  issueCall(input: any): IssueCall;
  accountCall(input: any): AccountCall;
  verified(email: string): unknown;
  result: Record<string, unknown>;
  deliveryFailed(context: any): boolean;
}
// biome-ignore-end lint/suspicious/noExplicitAny: idem

const versions: Version[] = [
  {
    key: 'registration@1',
    definition: registrationV1,
    names: { issue: 'issueEmailCode', verify: 'verifyEmailCode', create: 'createUser' },
    issueCall: (input) => input,
    accountCall: (input) => input,
    verified: (email) => ({ email }),
    result: {},
    deliveryFailed: (context) => context.deliveryFailed,
  },
  {
    key: 'registration@2',
    definition: registration,
    names: { issue: 'issueOtp', verify: 'verifyOtp', create: 'createAccount' },
    issueCall: (input) => ({
      journeyId: input.journeyId,
      email: input.recipient,
      purpose: input.policy.purpose,
      ttlMs: input.policy.ttlMs,
      resendCooldownMs: input.policy.resendCooldownMs,
    }),
    accountCall: (input) => ({
      journeyId: input.journeyId,
      email: input.identifiers[0].value,
      passwordHash: input.passwordHash,
      termsVersion: input.consents[0].policyVersion,
    }),
    verified: (recipient) => ({ recipient }),
    result: { type: 'session' },
    deliveryFailed: (context) => context.codeChallenge.deliveryFailed,
  },
];

// Set by each version's beforeAll, read by every test of that version.
let version: Version = versions[0] as Version;

interface Challenge {
  email: string;
  /** null when the address already has an account: its owner is told so, and no code works. */
  code: string | null;
  expiresAt: number;
  attempts: number;
  consumed: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A journey run against fakes with the contracts of src/activities: an email-verification service
 * (single-use codes that expire and lock after maxAttempts), an outbox, users and sessions.
 */
function startRegistration(
  options: Omit<JourneyTestKitOptions, 'activities'> & {
    existingAccounts?: string[];
    activities?: Partial<Record<ActivityName, FakeActivity>>;
    /** Fakes for a role, given the call as the tests read it (see Version). */
    roles?: Partial<Record<Role, FakeActivity>>;
  } = {},
) {
  const challenges = new Map<string, Challenge>();
  const codesSent: string[] = [];
  const existing = new Set(options.existingAccounts ?? []);
  const now = () => kit.clock.now();

  const service: Record<Role, FakeActivity> = {
    issue: (input: IssueCall) => {
      const challengeId = `challenge-${challenges.size + 1}`;
      const code = existing.has(input.email) ? null : String(123456 + challenges.size);
      if (code) codesSent.push(code);
      challenges.set(challengeId, {
        email: input.email,
        code,
        expiresAt: now() + input.ttlMs,
        attempts: 0,
        consumed: false,
      });
      return {
        challengeId,
        messageId: `message-${challenges.size}`,
        expiresAt: iso(now() + input.ttlMs),
        resendAvailableAt: iso(now() + input.resendCooldownMs),
      };
    },
    verify: (input: { challengeId: string; code: string; maxAttempts: number }) => {
      const submitted = kit.reveal(input.code);
      const challenge = challenges.get(input.challengeId);
      if (!challenge) throw businessFailure('invalid_code');
      if (challenge.consumed) throw businessFailure('code_used');
      if (challenge.expiresAt <= now()) throw businessFailure('code_expired');
      if (challenge.attempts >= input.maxAttempts) {
        throw businessFailure('too_many_attempts', {
          attemptsLeft: 0,
        });
      }
      if (challenge.code === null || submitted !== challenge.code) {
        challenge.attempts += 1;
        const attemptsLeft = input.maxAttempts - challenge.attempts;
        if (attemptsLeft === 0)
          throw businessFailure('too_many_attempts', {
            attemptsLeft,
          });
        throw businessFailure('invalid_code', { attemptsLeft });
      }
      challenge.consumed = true;
      return version.verified(challenge.email);
    },
    create: () => ({ userId: 'user-1' }),
  };
  const played = { ...service, ...options.roles };
  const fakes: Partial<Record<ActivityName, FakeActivity>> = {
    [version.names.issue]: (input: unknown) => played.issue(version.issueCall(input)),
    [version.names.verify]: (input: unknown) => played.verify(input),
    [version.names.create]: (input: unknown) => played.create(version.accountCall(input)),
    deliverMessage: () => ({ status: 'sent' }),
    createSession: (input: { aal: number; amr: string[] }) => ({
      id: 'session-1',
      token: { $secret: 'sec_session-token-reference' },
      aal: input.aal,
      amr: input.amr,
      authTime: iso(now()),
      expiresAt: iso(now() + 24 * 60 * MINUTE),
    }),
    recordJourneyEvents: () => undefined,
  };

  const { existingAccounts: _, activities, roles: __, ...kitOptions } = options;
  const kit = createJourneyTestKit(version.definition, {
    ...kitOptions,
    activities: { ...fakes, ...activities },
  });
  return {
    kit,
    /** The code in the last email sent (what the customer reads in their mailbox). */
    lastCode: () => codesSent.at(-1) as string,
  };
}

type Kit = ReturnType<typeof startRegistration>['kit'];

/** The calls that played a role, as the tests read them. */
function callsOf(kit: Kit, role: Role) {
  const calls = kit.callsOf(version.names[role]);
  if (role === 'issue') return calls.map(version.issueCall);
  if (role === 'create') return calls.map(version.accountCall);
  return calls;
}

/** The activities called, in order, by role (other activities by name). */
const called = (kit: Kit) =>
  kit.calls.map(
    (call) =>
      (Object.entries(version.names).find(([, name]) => name === call.name)?.[0] ??
        call.name) as string,
  );

/** A run already at verify-email for a new address. */
async function atVerifyEmail(options: Parameters<typeof startRegistration>[0] = {}) {
  const run = startRegistration(options);
  await run.kit.submit('credentials', { email: EMAIL, password: PASSWORD });
  return run;
}

/** A run already at the terms step. */
async function atTerms(options: Parameters<typeof startRegistration>[0] = {}) {
  const run = await atVerifyEmail(options);
  await run.kit.submit('verify-email', { code: run.lastCode() });
  return run;
}

const stepOf = (view: RunState) => view.step as NonNullable<RunState['step']>;

describe.each(versions)('$key', (each) => {
  beforeAll(() => {
    version = each;
  });

  describe('the way through', () => {
    test('completes with the user and a session after credentials, the emailed code and the terms', async () => {
      const { kit, lastCode } = startRegistration({ journeyId: 'run-1' });

      expect(await kit.view()).toEqual({
        status: 'active',
        step: { name: 'credentials', data: { passwordPolicy: { minLength: 8, maxLength: 256 } } },
      });

      const verifyView = await kit.submit('credentials', { email: EMAIL, password: PASSWORD });
      expect(verifyView).toEqual({
        status: 'active',
        step: {
          name: 'verify-email',
          data: {
            email: EMAIL,
            codeLength: 6,
            codeStatus: 'sent',
            expiresAt: iso(10 * MINUTE),
            resendAvailableAt: iso(30 * SECOND),
            attemptsLeft: 5,
          },
        },
      });
      expect(callsOf(kit, 'issue')).toEqual([
        {
          journeyId: 'run-1',
          email: EMAIL,
          purpose: 'registration',
          ttlMs: 10 * MINUTE,
          resendCooldownMs: 30 * SECOND,
        },
      ]);
      expect(kit.callsOf('deliverMessage')).toEqual([{ messageId: 'message-1' }]);

      const termsView = await kit.submit('verify-email', { code: lastCode() });
      expect(termsView).toEqual({
        status: 'active',
        step: { name: 'terms', data: { policyVersion: '2026-11-01', url: '/legal/terms' } },
      });

      const done = await kit.submit('terms', TERMS);
      expect(done.status).toBe('completed');
      expect(done.result).toEqual({
        ...version.result,
        user: { id: 'user-1' },
        session: expect.objectContaining({
          id: 'session-1',
          token: { $secret: 'sec_session-token-reference' },
          aal: 1,
          amr: ['pwd'],
        }),
      });
      expect(callsOf(kit, 'create')).toEqual([
        {
          journeyId: 'run-1',
          email: EMAIL,
          passwordHash: `$argon2id$test$${PASSWORD}`,
          termsVersion: '2026-11-01',
        },
      ]);
      expect(kit.callsOf('createSession')).toEqual([
        { journeyId: 'run-1', userId: 'user-1', aal: 1, amr: ['pwd'] },
      ]);
      expect(called(kit)).toEqual(['issue', 'deliverMessage', 'verify', 'create', 'createSession']);
    });

    test('passes the code to the check only as a vault reference, never in clear', async () => {
      const { kit, lastCode } = await atVerifyEmail();
      await kit.submit('verify-email', { code: lastCode() });
      const [checked] = callsOf(kit, 'verify');
      expect(checked.code).toMatch(/^sec_/);
      expect(checked.code).not.toContain(lastCode());
      expect(kit.reveal(checked.code)).toBe(lastCode());
    });

    test('canonicalises the email (trim, Unicode NFC, lower-case) before issuing the code', async () => {
      const { kit, lastCode } = startRegistration();
      // "Zoë" typed with a combining diaeresis (NFD), in mixed case, with spaces around.
      const view = await kit.submit('credentials', {
        email: '  Zoe\u0308.Ada@Example.COM ',
        password: PASSWORD,
      });
      const canonical = 'zo\u00eb.ada@example.com';
      expect(callsOf(kit, 'issue')[0].email).toBe(canonical);
      expect(stepOf(view).data.email).toBe(canonical);
      await kit.submit('verify-email', { code: lastCode() });
      await kit.submit('terms', TERMS);
      expect(callsOf(kit, 'create')[0].email).toBe(canonical);
    });
  });

  describe('input the step API refuses', () => {
    test.each([
      ['an invalid email', { email: 'not-an-email', password: PASSWORD }, 'email'],
      // NIST SP 800-63B §5.1.1.2: at least 8 characters.
      ['a password shorter than 8 characters', { email: EMAIL, password: 'short12' }, 'password'],
      ['an unknown field', { email: EMAIL, password: PASSWORD, role: 'admin' }, undefined],
      ['a missing field', { email: EMAIL }, 'password'],
    ])('refuses %s as invalid_input without calling any activity', async (_, input, field) => {
      const { kit } = startRegistration();
      const refusal = kit.submit('credentials', input);
      await expect(refusal).rejects.toMatchObject({
        name: 'SubmissionRefused',
        code: 'invalid_input',
      });
      if (field)
        await expect(refusal).rejects.toMatchObject({
          issues: [expect.objectContaining({ path: [field] })],
        });
      expect(kit.calls).toEqual([]);
      expect(stepOf(await kit.view()).name).toBe('credentials');
    });

    test.each([
      ['a code that is not 6 digits', { code: '12345' }],
      ['a code with letters', { code: '12345a' }],
      ['a code and a resend at once', { code: '123456', resend: true }],
      ['resend: false', { resend: false }],
    ])('refuses %s at verify-email as invalid_input without checking it', async (_, input) => {
      const { kit } = await atVerifyEmail();
      await expect(kit.submit('verify-email', input)).rejects.toMatchObject({
        code: 'invalid_input',
      });
      expect(callsOf(kit, 'verify')).toEqual([]);
      expect(callsOf(kit, 'issue')).toHaveLength(1);
    });

    test('refuses terms that are not accepted as invalid_input', async () => {
      const { kit } = await atTerms();
      await expect(
        kit.submit('terms', { accept: false, policyVersion: '2026-11-01' }),
      ).rejects.toMatchObject({ code: 'invalid_input' });
      expect(callsOf(kit, 'create')).toEqual([]);
    });
  });

  describe('step order', () => {
    test('answers step_not_current when a passed step is replayed, with no second effect', async () => {
      const { kit, lastCode } = await atVerifyEmail();
      await expect(
        kit.submit('credentials', { email: 'eve@example.com', password: PASSWORD }),
      ).rejects.toMatchObject({
        code: 'step_not_current',
      });
      expect(callsOf(kit, 'issue')).toHaveLength(1);
      expect(stepOf(await kit.view()).data.email).toBe(EMAIL);

      await kit.submit('verify-email', { code: lastCode() });
      await expect(kit.submit('verify-email', { code: lastCode() })).rejects.toMatchObject({
        code: 'step_not_current',
      });
      expect(callsOf(kit, 'verify')).toHaveLength(1);
      expect(stepOf(await kit.view()).name).toBe('terms');
    });

    test('answers step_not_current to a step ahead of the current one', async () => {
      const { kit } = startRegistration();
      await expect(kit.submit('terms', TERMS)).rejects.toMatchObject({ code: 'step_not_current' });
      expect(kit.calls).toEqual([]);
    });

    test('refuses any submission once the run has ended (journey_closed)', async () => {
      const { kit } = await atTerms();
      await kit.submit('terms', TERMS);
      await expect(kit.submit('terms', TERMS)).rejects.toMatchObject({ code: 'journey_closed' });
      expect(callsOf(kit, 'create')).toHaveLength(1);
    });
  });

  describe('verifying the email', () => {
    test('keeps the customer at verify-email after a wrong code, with invalid_code at /code and attemptsLeft counting down', async () => {
      const { kit } = await atVerifyEmail();
      for (const attemptsLeft of [4, 3, 2, 1]) {
        const view = await kit.submit('verify-email', { code: WRONG_CODE });
        expect(stepOf(view)).toMatchObject({
          name: 'verify-email',
          data: { codeStatus: 'sent', attemptsLeft },
          error: { code: 'invalid_code', path: '/code', detail: { attemptsLeft } },
        });
      }
      expect(callsOf(kit, 'verify').map((call) => call.maxAttempts)).toEqual([5, 5, 5, 5]);
    });

    test('clears the wrong-code error once the right code is given', async () => {
      const { kit, lastCode } = await atVerifyEmail();
      await kit.submit('verify-email', { code: WRONG_CODE });
      const view = await kit.submit('verify-email', { code: lastCode() });
      expect(view.step).toEqual({ name: 'terms', data: expect.any(Object) });
    });

    // NIST SP 800-63B §5.2.2: limit failed attempts; a new code is the only way on.
    test('locks the step after 5 wrong codes (too_many_attempts) and refuses further codes without checking them', async () => {
      const { kit, lastCode } = await atVerifyEmail();
      for (let i = 0; i < 4; i++) await kit.submit('verify-email', { code: WRONG_CODE });
      const locked = await kit.submit('verify-email', { code: WRONG_CODE });
      expect(stepOf(locked)).toMatchObject({
        name: 'verify-email',
        data: { codeStatus: 'locked', attemptsLeft: 0 },
        error: { code: 'too_many_attempts', path: '/code' },
      });
      expect(callsOf(kit, 'verify')).toHaveLength(5);

      // Even the right code is refused now, and never reaches the activity.
      const again = await kit.submit('verify-email', { code: lastCode() });
      expect(stepOf(again)).toMatchObject({
        data: { codeStatus: 'locked' },
        error: { code: 'too_many_attempts' },
      });
      expect(callsOf(kit, 'verify')).toHaveLength(5);
    });

    test('a resend unlocks a locked step with a new code and a full set of attempts; the old code no longer works', async () => {
      const { kit, lastCode } = await atVerifyEmail();
      const oldCode = lastCode();
      for (let i = 0; i < 5; i++) await kit.submit('verify-email', { code: WRONG_CODE });

      // The lock does not bypass the resend cooldown.
      const tooSoon = await kit.submit('verify-email', { resend: true });
      expect(stepOf(tooSoon)).toMatchObject({
        data: { codeStatus: 'locked' },
        error: { code: 'resend_cooldown', status: 429 },
      });

      await kit.advance(30 * SECOND);
      const fresh = await kit.submit('verify-email', { resend: true });
      expect(fresh.step).toEqual({
        name: 'verify-email',
        data: expect.objectContaining({ codeStatus: 'sent', attemptsLeft: 5 }),
      });
      expect(callsOf(kit, 'issue')).toHaveLength(2);
      expect(lastCode()).not.toBe(oldCode);

      const stale = await kit.submit('verify-email', { code: oldCode });
      expect(stepOf(stale).error).toMatchObject({
        code: 'invalid_code',
        detail: { attemptsLeft: 4 },
      });
      const passed = await kit.submit('verify-email', { code: lastCode() });
      expect(stepOf(passed).name).toBe('terms');
    });

    test('refuses a resend during the cooldown (resend_cooldown, 429) without issuing a code', async () => {
      const { kit } = await atVerifyEmail();
      await kit.advance(30 * SECOND - 1);
      const view = await kit.submit('verify-email', { resend: true });
      expect(stepOf(view)).toMatchObject({
        name: 'verify-email',
        data: { codeStatus: 'sent', attemptsLeft: 5 },
        error: { code: 'resend_cooldown', status: 429 },
      });
      expect(callsOf(kit, 'issue')).toHaveLength(1);
    });

    test('allows a resend once the simulated clock passes the cooldown; the new code works', async () => {
      const { kit, lastCode } = await atVerifyEmail();
      const firstCode = lastCode();
      await kit.advance(30 * SECOND);
      const view = await kit.submit('verify-email', { resend: true });
      expect(view.step).toEqual({
        name: 'verify-email',
        data: expect.objectContaining({
          codeStatus: 'sent',
          expiresAt: iso(30 * SECOND + 10 * MINUTE),
          resendAvailableAt: iso(60 * SECOND),
        }),
      });
      expect(callsOf(kit, 'issue')).toHaveLength(2);
      expect(kit.callsOf('deliverMessage')).toEqual([
        { messageId: 'message-1' },
        { messageId: 'message-2' },
      ]);
      expect(lastCode()).not.toBe(firstCode);

      // A new code restarts the cooldown.
      const tooSoon = await kit.submit('verify-email', { resend: true });
      expect(stepOf(tooSoon).error).toMatchObject({ code: 'resend_cooldown' });

      const passed = await kit.submit('verify-email', { code: lastCode() });
      expect(stepOf(passed).name).toBe('terms');
      expect(callsOf(kit, 'verify').at(-1).challengeId).toBe('challenge-2');
    });

    test('stops issuing codes at the per-run limit (resend_limit, 429)', async () => {
      const { kit } = await atVerifyEmail();
      for (let i = 0; i < 4; i++) {
        await kit.advance(30 * SECOND);
        expect(stepOf(await kit.submit('verify-email', { resend: true })).error).toBeUndefined();
      }
      expect(callsOf(kit, 'issue')).toHaveLength(5);

      await kit.advance(30 * SECOND);
      const refused = await kit.submit('verify-email', { resend: true });
      expect(stepOf(refused)).toMatchObject({
        name: 'verify-email',
        error: { code: 'resend_limit', status: 429 },
      });
      // The limit holds once the last code has expired, too.
      await kit.advance(10 * MINUTE);
      const stillRefused = await kit.submit('verify-email', { resend: true });
      expect(stepOf(stillRefused)).toMatchObject({
        data: { codeStatus: 'expired' },
        error: { code: 'resend_limit' },
      });
      expect(callsOf(kit, 'issue')).toHaveLength(5);
    });

    test('expires the code after the 10-minute durable timer, refuses codes without checking them, and a resend brings a live code', async () => {
      const { kit, lastCode } = await atVerifyEmail();
      const live = await kit.advance(10 * MINUTE - 1);
      expect(stepOf(live).data.codeStatus).toBe('sent');

      const expired = await kit.advance(1);
      expect(expired).toEqual({
        status: 'active',
        step: { name: 'verify-email', data: expect.objectContaining({ codeStatus: 'expired' }) },
      });

      const refused = await kit.submit('verify-email', { code: lastCode() });
      expect(stepOf(refused)).toMatchObject({
        data: { codeStatus: 'expired' },
        error: { code: 'code_expired', path: '/code' },
      });
      expect(callsOf(kit, 'verify')).toEqual([]);

      const fresh = await kit.submit('verify-email', { resend: true });
      expect(fresh.step).toEqual({
        name: 'verify-email',
        data: expect.objectContaining({ codeStatus: 'sent', attemptsLeft: 5 }),
      });
      expect(callsOf(kit, 'issue')).toHaveLength(2);
      expect(stepOf(await kit.submit('verify-email', { code: lastCode() })).name).toBe('terms');
    });

    test('a new code restarts the expiry timer', async () => {
      const { kit } = await atVerifyEmail();
      await kit.advance(9 * MINUTE);
      await kit.submit('verify-email', { resend: true });
      expect(stepOf(await kit.advance(2 * MINUTE)).data.codeStatus).toBe('sent');
      expect(stepOf(await kit.advance(8 * MINUTE)).data.codeStatus).toBe('expired');
    });

    test('keeps the customer at the step when the activity reports the code expired or already used', async () => {
      for (const code of ['code_expired', 'code_used'] as const) {
        const { kit } = await atVerifyEmail({
          roles: {
            verify: () => {
              throw businessFailure(code);
            },
          },
        });
        const view = await kit.submit('verify-email', { code: WRONG_CODE });
        expect(stepOf(view)).toMatchObject({
          name: 'verify-email',
          error: { code, path: '/code' },
        });
      }
    });

    test('a failing background delivery does not disturb the step', async () => {
      const { kit, lastCode } = startRegistration({
        activities: {
          deliverMessage: () => {
            throw new Error('SMTP server unreachable');
          },
        },
      });
      const view = await kit.submit('credentials', { email: EMAIL, password: PASSWORD });
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(await kit.view()).toEqual(view);
      // The failure did reach the journey: it was handled, not lost.
      expect(version.deliveryFailed(kit.actor.getSnapshot().context)).toBe(true);
      expect(view.step).toEqual({
        name: 'verify-email',
        data: expect.objectContaining({ codeStatus: 'sent' }),
      });
      expect(stepOf(await kit.submit('verify-email', { code: lastCode() })).name).toBe('terms');
      expect((await kit.submit('terms', TERMS)).status).toBe('completed');
    });

    test('does not hold the step answer for a delivery still in progress', async () => {
      const { kit, lastCode } = startRegistration({
        activities: { deliverMessage: () => new Promise(() => {}) },
      });
      const view = await kit.submit('credentials', { email: EMAIL, password: PASSWORD });
      expect(stepOf(view).name).toBe('verify-email');
      expect(stepOf(await kit.submit('verify-email', { code: lastCode() })).name).toBe('terms');
    });

    test('ends failed (code_not_issued) when issuing the code fails for a non-business reason', async () => {
      const { kit } = startRegistration({
        roles: {
          issue: () => {
            throw new Error('database unreachable');
          },
        },
      });
      const view = await kit.submit('credentials', { email: EMAIL, password: PASSWORD });
      expect(view).toEqual({
        status: 'failed',
        error: { code: 'code_not_issued', message: 'The code could not be issued' },
      });
      expect(called(kit)).toEqual(['issue']);
    });

    test('ends failed (code_not_issued) when a resend fails for a non-business reason', async () => {
      let issued = 0;
      const { kit } = await atVerifyEmail({
        roles: {
          issue: (input: { ttlMs: number }) => {
            issued += 1;
            if (issued > 1) throw new Error('database unreachable');
            return {
              challengeId: 'challenge-1',
              messageId: 'message-1',
              expiresAt: iso(input.ttlMs),
              resendAvailableAt: iso(30 * SECOND),
            };
          },
        },
      });
      await kit.advance(30 * SECOND);
      expect(await kit.submit('verify-email', { resend: true })).toMatchObject({
        status: 'failed',
        error: { code: 'code_not_issued' },
      });
    });

    test('ends failed (code_not_checked) when checking the code fails for a non-business reason', async () => {
      const { kit } = await atVerifyEmail({
        roles: {
          verify: () => {
            throw new Error('database unreachable');
          },
        },
      });
      const view = await kit.submit('verify-email', { code: WRONG_CODE });
      expect(view).toEqual({
        status: 'failed',
        error: { code: 'code_not_checked', message: 'The code could not be checked' },
      });
    });
  });

  describe('terms and account', () => {
    test('refuses terms accepted for another policy version (policy_version_mismatch) and accepts the current one', async () => {
      const { kit } = await atTerms();
      const refused = await kit.submit('terms', { accept: true, policyVersion: '2025-01-01' });
      expect(refused.step).toEqual({
        name: 'terms',
        data: { policyVersion: '2026-11-01', url: '/legal/terms' },
        error: expect.objectContaining({ code: 'policy_version_mismatch', path: '/policyVersion' }),
      });
      expect(callsOf(kit, 'create')).toEqual([]);
      expect((await kit.submit('terms', TERMS)).status).toBe('completed');
    });

    test('ends failed with email_taken when the account finds the address taken', async () => {
      const { kit } = await atTerms({
        roles: {
          create: () => {
            throw businessFailure('email_taken');
          },
        },
      });
      const view = await kit.submit('terms', TERMS);
      expect(view).toEqual({
        status: 'failed',
        error: {
          code: 'email_taken',
          message: 'An account with this email address already exists',
        },
      });
      expect(kit.callsOf('createSession')).toEqual([]);
    });

    // ASVS 7.4.1: an unexpected error shows a generic message, not the exception text.
    test('ends failed with a generic error when the account fails for a non-business reason', async () => {
      const { kit } = await atTerms({
        roles: {
          create: () => {
            throw new Error(
              'duplicate key value violates unique constraint "Identifier_type_value_key"',
            );
          },
        },
      });
      const view = await kit.submit('terms', TERMS);
      expect(view).toEqual({
        status: 'failed',
        error: { code: 'account_not_created', message: 'The account could not be created' },
      });
      expect(JSON.stringify(view)).not.toContain('constraint');
    });

    test('ends failed (session_not_opened) when the session cannot be opened', async () => {
      const { kit } = await atTerms({
        activities: {
          createSession: () => {
            throw new Error('database unreachable');
          },
        },
      });
      expect(await kit.submit('terms', TERMS)).toEqual({
        status: 'failed',
        error: { code: 'session_not_opened', message: 'The session could not be opened' },
      });
    });
  });

  describe('inactivity', () => {
    test('ends abandoned at the current step after 30 simulated minutes without a submission', async () => {
      const { kit } = startRegistration();
      expect((await kit.advance(30 * MINUTE - 1)).status).toBe('active');
      expect(await kit.advance(1)).toEqual({
        status: 'abandoned',
        step: { name: 'credentials', data: {} },
      });
      await expect(
        kit.submit('credentials', { email: EMAIL, password: PASSWORD }),
      ).rejects.toMatchObject({ code: 'journey_closed' });
      expect(kit.calls).toEqual([]);
    });

    test('ends abandoned at terms after 30 simulated minutes there', async () => {
      const { kit } = await atTerms();
      expect((await kit.advance(30 * MINUTE - 1)).status).toBe('active');
      expect(await kit.advance(1)).toEqual({
        status: 'abandoned',
        step: { name: 'terms', data: {} },
      });
    });

    test('honours a custom stepTimeoutMs', async () => {
      const { kit } = await atVerifyEmail({ stepTimeoutMs: 5 * MINUTE });
      expect((await kit.advance(5 * MINUTE - 1)).status).toBe('active');
      expect(await kit.advance(1)).toEqual({
        status: 'abandoned',
        step: { name: 'verify-email', data: {} },
      });
    });

    test('a rejected submission does not restart the inactivity timer: bad input cannot hold a run open', async () => {
      const { kit } = await atTerms();
      await kit.advance(20 * MINUTE);
      await kit.submit('terms', { accept: true, policyVersion: 'outdated' });
      expect((await kit.advance(10 * MINUTE - 1)).status).toBe('active');
      expect((await kit.advance(1)).status).toBe('abandoned');
    });

    test('ends expired at the step it waits at once its lifetime (1 hour) is out', async () => {
      const { kit, lastCode } = startRegistration();
      await kit.advance(25 * MINUTE);
      await kit.submit('credentials', { email: EMAIL, password: PASSWORD });
      await kit.advance(5 * MINUTE);
      await kit.submit('verify-email', { code: lastCode() });
      // At terms, the step's 30 minutes and the run's last 30 end together: the lifetime wins.
      expect((await kit.advance(30 * MINUTE - 1)).status).toBe('active');
      expect(await kit.advance(1)).toMatchObject({ status: 'expired', step: { name: 'terms' } });
    });

    test('moving to the next step restarts the inactivity timer', async () => {
      const { kit, lastCode } = startRegistration();
      await kit.advance(25 * MINUTE);
      await kit.submit('credentials', { email: EMAIL, password: PASSWORD });
      await kit.advance(4 * MINUTE);
      await kit.submit('verify-email', { code: lastCode() });
      expect((await kit.advance(30 * MINUTE - 1)).status).toBe('active');
      expect(await kit.advance(1)).toMatchObject({ status: 'abandoned', step: { name: 'terms' } });
    });
  });

  // OWASP WSTG-IDNT-04: signing up must not reveal whether an address already has an account.
  describe('account enumeration', () => {
    test('an email that already has an account produces the same views as a new email', async () => {
      const script = async (email: string, existingAccounts: string[]) => {
        const { kit } = startRegistration({ existingAccounts });
        const views: RunState[] = [await kit.view()];
        const record = async (view: Promise<RunState>) => views.push(await view);
        await record(kit.submit('credentials', { email, password: PASSWORD }));
        await record(kit.submit('verify-email', { code: WRONG_CODE }));
        await record(kit.submit('verify-email', { resend: true }));
        await record(kit.advance(30 * SECOND));
        await record(kit.submit('verify-email', { resend: true }));
        for (let i = 0; i < 6; i++) await record(kit.submit('verify-email', { code: WRONG_CODE }));
        await record(kit.advance(10 * MINUTE));
        await record(kit.submit('verify-email', { code: WRONG_CODE }));
        await record(kit.submit('verify-email', { resend: true }));
        await record(kit.submit('verify-email', { code: WRONG_CODE }));
        const masked = JSON.stringify({ views, calls: kit.calls }).replaceAll(email, '<email>');
        return JSON.parse(masked) as { views: RunState[]; calls: unknown[] };
      };
      const taken = await script('taken@example.com', ['taken@example.com']);
      const fresh = await script('fresh@example.com', ['taken@example.com']);
      expect(taken.views).toEqual(fresh.views);
      expect(taken.calls).toEqual(fresh.calls);
      // The script went through every state of the step: wrong code, lock, expiry, new code.
      expect(new Set(fresh.views.map((view) => view.step?.error?.code))).toEqual(
        new Set([
          undefined,
          'invalid_code',
          'resend_cooldown',
          'too_many_attempts',
          'code_expired',
        ]),
      );
    });
  });

  describe('settings', () => {
    test('honours settings overrides: code TTL, cooldown, attempts and terms version', async () => {
      const settings = {
        codeTtlMs: 2 * MINUTE,
        resendCooldownMs: 5 * SECOND,
        maxCodeAttempts: 3,
        termsVersion: '2027-01-01',
        termsUrl: '/terms/2027',
      };
      const { kit, lastCode } = await atVerifyEmail({ settings });
      expect(callsOf(kit, 'issue')[0]).toMatchObject({
        ttlMs: 2 * MINUTE,
        resendCooldownMs: 5 * SECOND,
      });
      expect(stepOf(await kit.view()).data).toMatchObject({
        attemptsLeft: 3,
        expiresAt: iso(2 * MINUTE),
        resendAvailableAt: iso(5 * SECOND),
      });

      await kit.submit('verify-email', { code: WRONG_CODE });
      await kit.submit('verify-email', { code: WRONG_CODE });
      const locked = await kit.submit('verify-email', { code: WRONG_CODE });
      expect(stepOf(locked)).toMatchObject({
        data: { codeStatus: 'locked' },
        error: { code: 'too_many_attempts' },
      });
      expect(callsOf(kit, 'verify').map((call) => call.maxAttempts)).toEqual([3, 3, 3]);

      await kit.advance(5 * SECOND);
      expect(stepOf(await kit.submit('verify-email', { resend: true })).data).toMatchObject({
        codeStatus: 'sent',
        attemptsLeft: 3,
      });
      expect(stepOf(await kit.advance(2 * MINUTE)).data.codeStatus).toBe('expired');

      await kit.submit('verify-email', { resend: true });
      const terms = await kit.submit('verify-email', { code: lastCode() });
      expect(stepOf(terms).data).toEqual({ policyVersion: '2027-01-01', url: '/terms/2027' });
      expect(stepOf(await kit.submit('terms', TERMS)).error).toMatchObject({
        code: 'policy_version_mismatch',
      });
      expect(
        (await kit.submit('terms', { accept: true, policyVersion: '2027-01-01' })).status,
      ).toBe('completed');
      expect(callsOf(kit, 'create')[0].termsVersion).toBe('2027-01-01');
    });

    test('honours a per-run code limit override', async () => {
      const { kit } = await atVerifyEmail({ settings: { maxCodesPerRun: 2 } });
      await kit.advance(30 * SECOND);
      await kit.submit('verify-email', { resend: true });
      await kit.advance(30 * SECOND);
      expect(stepOf(await kit.submit('verify-email', { resend: true })).error).toMatchObject({
        code: 'resend_limit',
      });
      expect(callsOf(kit, 'issue')).toHaveLength(2);
    });

    test('allows a resend as soon as the code expires, even within a cooldown longer than its life', async () => {
      const { kit } = await atVerifyEmail({
        settings: { codeTtlMs: 10 * SECOND, resendCooldownMs: MINUTE },
      });
      expect(stepOf(await kit.advance(10 * SECOND)).data.codeStatus).toBe('expired');
      const fresh = await kit.submit('verify-email', { resend: true });
      expect(stepOf(fresh)).toMatchObject({ data: { codeStatus: 'sent' } });
      expect(stepOf(fresh).error).toBeUndefined();
      expect(callsOf(kit, 'issue')).toHaveLength(2);
    });
  });
});
