import { describe, expect, test } from 'vitest';
import { recovery } from '../../journeys/recovery.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import { createJourneyTestKit, type FakeActivity } from '../../src/authoring/test-kit.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { RunState } from '../../src/run/run-state.js';

const EMAIL = 'ada@example.com';
const UNKNOWN = 'nobody@example.com';
const INBOX_CODE = '654321';
/** The link sent beside the inbox code: `<challenge id>.<secret>` (src/security/link-token.ts). */
const INBOX_LINK = '0b6f3c1e-8a2d-4e5f-9a7b-1c2d3e4f5a6b.AbCdEfGhIjKlMnOpQrStUvWxYz012-_9';
const SMS_CODE = '246810';
/** The account's phone, as sendSmsCode shows it: masked. */
const MASKED_PHONE = '+33••••78';
const TOTP = '123456';
const RECOVERY_CODE = 'ABCD-EFGH-JKMN';
const NEW_PASSWORD = 'a brand new passphrase';
/** What the step API hands the journey for a new password: its argon2id hash (the kit's fake one). */
const NEW_PASSWORD_HASH = `$argon2id$test$${NEW_PASSWORD}`;

const stepOf = (view: RunState) => view.step as NonNullable<RunState['step']>;

const session = (amr: string[]) => ({
  id: 'session-1',
  token: { $secret: 'sec_aaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
  aal: amr.includes('mfa') ? 2 : 1,
  amr,
  authTime: '2026-11-30T12:00:00.000Z',
  expiresAt: '2026-12-14T12:00:00.000Z',
});

const assertion = (id: string) => ({
  id,
  rawId: id,
  type: 'public-key',
  response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
  clientExtensionResults: {},
});

type Factor = 'webauthn' | 'totp' | 'sms' | 'recovery_code';

/**
 * recovery@1 against fakes with the contracts of the OTP service (a code sent only to an account's
 * verified address: any other address gets a challenge no code satisfies), findRecoveryAccount
 * (the account behind a proven challenge of this run), the factor checks, completeRecovery and
 * createSession.
 */
function startRecovery(
  options: {
    factors?: Factor[];
    activities?: Partial<Record<ActivityName, FakeActivity>>;
    start?: Record<string, unknown>;
    settings?: Record<string, unknown>;
  } = {},
) {
  let ceremonies = 0;
  let texted = 0;
  const recipients = new Map<string, string>();
  const proven = new Set<string>();
  const kit = createJourneyTestKit(recovery, {
    requester: 'requester-1',
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.start ? { start: options.start } : {}),
    activities: {
      issueOtp: (input: { recipient: string }) => {
        const challengeId = `challenge-${recipients.size + 1}`;
        recipients.set(challengeId, input.recipient);
        return {
          challengeId,
          messageId: `code-${recipients.size}`,
          expiresAt: new Date(kit.clock.now() + 600_000).toISOString(),
          resendAvailableAt: new Date(kit.clock.now() + 30_000).toISOString(),
        };
      },
      verifyOtp: (input: { challengeId: string; code?: string; link?: string }) => {
        const recipient = recipients.get(input.challengeId);
        // The link proves the inbox as its code does, checked by the same activity.
        const proof =
          input.link !== undefined
            ? kit.reveal(input.link) === INBOX_LINK
            : kit.reveal(input.code as string) === INBOX_CODE;
        // onlyToAccount: no code satisfies a challenge for an address with no account.
        if (recipient !== EMAIL || !proof) throw businessFailure('invalid_code');
        proven.add(input.challengeId);
        return { recipient };
      },
      findRecoveryAccount: (input: { challengeId: string }) => {
        if (!proven.has(input.challengeId)) throw businessFailure('recovery_not_proven');
        return { userId: 'user-1', factors: options.factors ?? [] };
      },
      verifyTotp: (input: { code: string }) => {
        if (kit.reveal(input.code) !== TOTP) throw businessFailure('invalid_code');
        return { verifiedAt: '2026-11-30T12:00:00.000Z' };
      },
      verifyRecoveryCode: (input: { code: string }) => {
        if (kit.reveal(input.code) !== RECOVERY_CODE) throw businessFailure('invalid_code');
        return { remaining: 9, messageId: 'notice-1' };
      },
      beginPasskeySignIn: (input: { userId?: string }) => {
        ceremonies += 1;
        return { options: { challenge: `challenge-${ceremonies}`, forUser: input.userId ?? null } };
      },
      verifyPasskey: (input: { credential: { id: string }; userId?: string }) => {
        if (input.credential.id !== 'good') throw businessFailure('passkey_refused');
        return { userId: input.userId ?? 'user-1', userVerified: true };
      },
      // Each text is a new challenge: only the latest one's code counts.
      sendSmsCode: () => {
        texted += 1;
        return {
          challengeId: `sms-challenge-${texted}`,
          messageId: `text-${texted}`,
          expiresAt: new Date(kit.clock.now() + 600_000).toISOString(),
          phone: MASKED_PHONE,
        };
      },
      verifySmsCode: (input: { challengeId: string; code: string }) => {
        if (input.challengeId !== `sms-challenge-${texted}` || kit.reveal(input.code) !== SMS_CODE)
          throw businessFailure('invalid_code');
        return { verifiedAt: '2026-11-30T12:00:00.000Z' };
      },
      completeRecovery: () => ({ userId: 'user-1', sessionsEnded: 2 }),
      createSession: (input: { aal: number; amr: string[] }) => ({
        ...session(input.amr),
        aal: input.aal,
      }),
      deliverMessage: () => ({ status: 'sent' }),
      ...options.activities,
    },
  });
  return kit;
}

/** A run past the address, waiting at `verify-email`. */
async function atInboxCode(options: Parameters<typeof startRecovery>[0] = {}, email = EMAIL) {
  const kit = startRecovery(options);
  await kit.submit('email', { email });
  return kit;
}

/** A run past the inbox code: at the account's second factor, or at `new-password`. */
async function pastInbox(options: Parameters<typeof startRecovery>[0] = {}) {
  const kit = await atInboxCode(options);
  const view = await kit.submit('verify-email', { code: INBOX_CODE });
  return { kit, view };
}

const callNames = (kit: ReturnType<typeof startRecovery>) => kit.calls.map((call) => call.name);

describe('recovery@1: the ways through', () => {
  test('without a second factor: email, verify-email, new-password, then an aal1 session proven by otp, opened only after completeRecovery', async () => {
    const kit = startRecovery();
    expect(await kit.view()).toEqual({ status: 'active', step: { name: 'email', data: {} } });
    const code = await kit.submit('email', { email: EMAIL });
    expect(stepOf(code)).toEqual({
      name: 'verify-email',
      data: {
        email: EMAIL,
        codeLength: 6,
        codeStatus: 'sent',
        expiresAt: expect.any(String),
        resendAvailableAt: expect.any(String),
        attemptsLeft: 5,
      },
    });
    expect(kit.callsOf('issueOtp')).toEqual([
      {
        journeyId: 'journey-under-test',
        recipient: EMAIL,
        requester: 'requester-1',
        policy: expect.objectContaining({
          purpose: 'recovery',
          channel: 'email',
          template: 'account-recovery-code',
          onlyToAccount: true,
        }),
      },
    ]);
    const password = await kit.submit('verify-email', { code: INBOX_CODE });
    expect(stepOf(password)).toEqual({
      name: 'new-password',
      data: { passwordPolicy: { minLength: 8, maxLength: 256 } },
    });
    expect(kit.callsOf('findRecoveryAccount')).toEqual([{ challengeId: 'challenge-1' }]);
    // The run holds no session until the very end: nothing it produced signs anyone in.
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    expect(kit.callsOf('createSession')).toEqual([]);
    const done = await kit.submit('new-password', { password: NEW_PASSWORD });
    expect(done).toMatchObject({
      status: 'completed',
      result: { type: 'session', user: { id: 'user-1' }, session: { aal: 1, amr: ['otp'] } },
    });
    // The run's own proof of the inbox, and the hash the step API made: never the password.
    expect(kit.callsOf('completeRecovery')).toEqual([
      {
        journeyId: 'journey-under-test',
        challengeId: 'challenge-1',
        passwordHash: NEW_PASSWORD_HASH,
      },
    ]);
    expect(kit.callsOf('createSession')).toEqual([
      { journeyId: 'journey-under-test', userId: 'user-1', aal: 1, amr: ['otp'] },
    ]);
    // Opened after every other session ended (ASVS 5.0 V7.4.3): completeRecovery, then the session.
    expect(callNames(kit).filter((name) => name !== 'deliverMessage')).toEqual([
      'issueOtp',
      'verifyOtp',
      'findRecoveryAccount',
      'completeRecovery',
      'createSession',
    ]);
  });

  test('prefills the address from login_hint, passes ui_locales to completeRecovery, and states the password policy of the settings', async () => {
    const kit = startRecovery({
      start: { login_hint: EMAIL, ui_locales: 'fr-CA fr' },
      settings: { passwordMinLength: 12 },
    });
    expect(stepOf(await kit.view())).toEqual({ name: 'email', data: { email: EMAIL } });
    await kit.submit('email', { email: EMAIL });
    expect(kit.callsOf('issueOtp')[0].policy).toMatchObject({ locales: ['fr-CA', 'fr'] });
    const password = await kit.submit('verify-email', { code: INBOX_CODE });
    expect(stepOf(password).data).toEqual({ passwordPolicy: { minLength: 12, maxLength: 256 } });
    await kit.submit('new-password', { password: NEW_PASSWORD });
    expect(kit.callsOf('completeRecovery')).toEqual([
      {
        journeyId: 'journey-under-test',
        challengeId: 'challenge-1',
        passwordHash: NEW_PASSWORD_HASH,
        locales: ['fr-CA', 'fr'],
      },
    ]);
  });

  test('with TOTP enrolled: asks for it after the inbox, refuses a wrong one at /code, and the session stays aal1 otp (email is no authenticator: NIST SP 800-63B-4)', async () => {
    const { kit, view } = await pastInbox({ factors: ['totp'] });
    expect(stepOf(view)).toEqual({
      name: 'totp',
      data: { factor: 'totp', codeLength: 6, otherFactors: [] },
    });
    const wrong = await kit.submit('totp', { code: '000000' });
    expect(stepOf(wrong)).toMatchObject({
      name: 'totp',
      error: { code: 'invalid_code', status: 422, path: '/code' },
    });
    // Nothing is changed and nobody signed in until the factor is proven.
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    expect(kit.callsOf('createSession')).toEqual([]);
    const password = await kit.submit('totp', { code: TOTP });
    expect(stepOf(password).name).toBe('new-password');
    expect(kit.callsOf('verifyTotp')).toEqual([
      {
        journeyId: 'journey-under-test',
        userId: 'user-1',
        code: expect.stringMatching(/^sec_/),
        requester: 'requester-1',
      },
      {
        journeyId: 'journey-under-test',
        userId: 'user-1',
        code: expect.stringMatching(/^sec_/),
        requester: 'requester-1',
      },
    ]);
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    expect(kit.callsOf('createSession')).toEqual([]);
    const done = await kit.submit('new-password', { password: NEW_PASSWORD });
    // The inbox and a TOTP, no password proven: never aal2.
    expect(done).toMatchObject({
      status: 'completed',
      result: { session: { aal: 1, amr: ['otp'] } },
    });
    expect(kit.callsOf('createSession')).toEqual([
      { journeyId: 'journey-under-test', userId: 'user-1', aal: 1, amr: ['otp'] },
    ]);
  });

  test('with a passkey enrolled: asks for it first; a refused one gets a fresh challenge; a verified one opens an aal2 session proven by hwk, user and mfa (RFC 8176)', async () => {
    const { kit, view } = await pastInbox({ factors: ['webauthn', 'totp', 'recovery_code'] });
    expect(stepOf(view)).toEqual({
      name: 'passkey',
      data: {
        factor: 'webauthn',
        options: { challenge: 'challenge-1', forUser: 'user-1' },
        otherFactors: ['totp', 'recovery_code'],
      },
    });
    const refused = await kit.submit('passkey', { credential: assertion('bad') });
    expect(stepOf(refused)).toMatchObject({
      name: 'passkey',
      error: { code: 'passkey_refused', path: '/credential' },
      data: { options: { challenge: 'challenge-2' } },
    });
    const password = await kit.submit('passkey', { credential: assertion('good') });
    expect(stepOf(password).name).toBe('new-password');
    expect(kit.callsOf('verifyPasskey')).toEqual([
      { journeyId: 'journey-under-test', userId: 'user-1', credential: assertion('bad') },
      { journeyId: 'journey-under-test', userId: 'user-1', credential: assertion('good') },
    ]);
    expect(kit.callsOf('createSession')).toEqual([]);
    const done = await kit.submit('new-password', { password: NEW_PASSWORD });
    expect(done).toMatchObject({
      status: 'completed',
      result: { user: { id: 'user-1' }, session: { aal: 2, amr: ['hwk', 'user', 'mfa'] } },
    });
    expect(kit.callsOf('createSession')).toEqual([
      { journeyId: 'journey-under-test', userId: 'user-1', aal: 2, amr: ['hwk', 'user', 'mfa'] },
    ]);
  });

  test('lets the customer turn from the passkey to TOTP or a recovery code, and from either back to the passkey', async () => {
    const { kit } = await pastInbox({ factors: ['webauthn', 'totp', 'recovery_code'] });
    expect(stepOf(await kit.submit('passkey', { method: 'totp' }))).toMatchObject({
      name: 'totp',
      data: { otherFactors: ['webauthn', 'recovery_code'] },
    });
    expect(stepOf(await kit.submit('totp', { method: 'webauthn' })).name).toBe('passkey');
    expect(stepOf(await kit.submit('passkey', { method: 'recovery_code' }))).toMatchObject({
      name: 'recovery-code',
      data: { otherFactors: ['webauthn', 'totp'] },
    });
    const back = await kit.submit('recovery-code', { method: 'webauthn' });
    expect(stepOf(back)).toMatchObject({
      name: 'passkey',
      data: { options: { forUser: 'user-1' } },
    });
    // Each turn to the passkey begins a fresh ceremony.
    expect(kit.callsOf('beginPasskeySignIn')).toHaveLength(3);
  });

  test('turns from TOTP to a recovery code and back; a used recovery code is answered with an aal1 session, then its owner is told before the run completes', async () => {
    let sendNotice: (value: { status: 'sent' }) => void = () => undefined;
    const notice = new Promise<{ status: 'sent' }>((resolve) => {
      sendNotice = resolve;
    });
    const { kit, view } = await pastInbox({
      factors: ['totp', 'recovery_code'],
      activities: {
        deliverMessage: (input: { messageId: string }) =>
          input.messageId === 'notice-1' ? notice : { status: 'sent' },
      },
    });
    expect(stepOf(view)).toMatchObject({ name: 'totp', data: { otherFactors: ['recovery_code'] } });
    const recoveryCode = await kit.submit('totp', { method: 'recovery_code' });
    expect(stepOf(recoveryCode)).toEqual({
      name: 'recovery-code',
      data: { factor: 'recovery_code', otherFactors: ['totp'] },
    });
    expect(stepOf(await kit.submit('recovery-code', { method: 'totp' })).name).toBe('totp');
    await kit.submit('totp', { method: 'recovery_code' });
    const wrong = await kit.submit('recovery-code', { code: 'AAAA-BBBB-CCCC' });
    expect(stepOf(wrong)).toMatchObject({
      name: 'recovery-code',
      error: { code: 'invalid_code', path: '/code' },
    });
    const password = await kit.submit('recovery-code', { code: RECOVERY_CODE });
    expect(stepOf(password).name).toBe('new-password');
    expect(kit.callsOf('createSession')).toEqual([]);
    // Answered at once: the customer does not wait for the notice.
    const answered = await kit.submit('new-password', { password: NEW_PASSWORD });
    expect(answered).toMatchObject({
      status: 'completed',
      result: { type: 'session', user: { id: 'user-1' }, session: { aal: 1, amr: ['otp'] } },
    });
    expect(kit.actor.getSnapshot().status).toBe('active');
    expect(kit.actor.getSnapshot().value).toBe('tellingOwner');
    expect(kit.callsOf('deliverMessage')).toContainEqual({ messageId: 'notice-1' });
    sendNotice({ status: 'sent' });
    const finished = await kit.view();
    expect(kit.actor.getSnapshot().status).toBe('done');
    expect(finished).toEqual(answered);
    expect(kit.callsOf('createSession')).toEqual([
      { journeyId: 'journey-under-test', userId: 'user-1', aal: 1, amr: ['otp'] },
    ]);
  });

  test('completes as answered when the notice cannot be delivered: it stays in the outbox', async () => {
    const { kit } = await pastInbox({
      factors: ['recovery_code'],
      activities: {
        deliverMessage: (input: { messageId: string }) => {
          if (input.messageId === 'notice-1') throw new Error('mail relay down');
          return { status: 'sent' };
        },
      },
    });
    await kit.submit('recovery-code', { code: RECOVERY_CODE });
    const done = await kit.submit('new-password', { password: NEW_PASSWORD });
    expect(done).toMatchObject({ status: 'completed', result: { session: { aal: 1 } } });
    await kit.view();
    expect(kit.actor.getSnapshot().status).toBe('done');
  });

  test('asks an account with only recovery codes for one: recovery never bypasses a factor', async () => {
    const { kit, view } = await pastInbox({ factors: ['recovery_code'] });
    expect(stepOf(view)).toEqual({
      name: 'recovery-code',
      data: { factor: 'recovery_code', otherFactors: [] },
    });
    await expect(kit.submit('new-password', { password: NEW_PASSWORD })).rejects.toMatchObject({
      name: 'SubmissionRefused',
      code: 'step_not_current',
    });
    expect(stepOf(await kit.submit('recovery-code', { method: 'totp' }))).toMatchObject({
      name: 'recovery-code',
      error: { code: 'factor_not_enrolled', path: '/method' },
    });
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    expect(stepOf(await kit.submit('recovery-code', { code: RECOVERY_CODE })).name).toBe(
      'new-password',
    );
  });

  test('refuses a factor the account does not have with factor_not_enrolled at /method', async () => {
    const { kit } = await pastInbox({ factors: ['totp'] });
    expect(stepOf(await kit.submit('totp', { method: 'webauthn' }))).toMatchObject({
      name: 'totp',
      error: { code: 'factor_not_enrolled', path: '/method' },
    });
    expect(kit.callsOf('beginPasskeySignIn')).toEqual([]);
  });
});

describe('recovery@1: the same answers for any address (OWASP WSTG-IDNT-04, ASVS 5.0 V6.4.1)', () => {
  test('an address with no account gets the same step and data at verify-email, and a wrong code the same refusal', async () => {
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
      await known.submit('verify-email', { code: '000000' }),
      await unknown.submit('verify-email', { code: '000000' }),
    ];
    expect(stepOf(knownWrong)).toMatchObject({
      name: 'verify-email',
      error: { code: 'invalid_code', path: '/code', detail: { attemptsLeft: 4 } },
    });
    expect(unknownWrong).toEqual({
      ...knownWrong,
      step: { ...stepOf(knownWrong), data: { ...stepOf(knownWrong).data, email: UNKNOWN } },
    });
    // No code satisfies the unknown address's challenge: it never reaches an account.
    const stillRefused = await unknown.submit('verify-email', { code: INBOX_CODE });
    expect(stepOf(stillRefused)).toMatchObject({
      name: 'verify-email',
      error: { code: 'invalid_code' },
    });
    expect(unknown.callsOf('findRecoveryAccount')).toEqual([]);
  });
});

describe('recovery@1: the inbox is never a second factor', () => {
  test.each([
    [[], 'new-password'],
    [['totp'], 'totp'],
    [['webauthn'], 'passkey'],
    [['recovery_code'], 'recovery-code'],
    [['webauthn', 'totp', 'recovery_code'], 'passkey'],
  ] as const)(
    'after the inbox code, an account with %j is asked for %s, never another email code',
    async (factors, next) => {
      const { kit, view } = await pastInbox({ factors: [...factors] });
      expect(stepOf(view).name).toBe(next);
      await expect(kit.submit('verify-email', { code: INBOX_CODE })).rejects.toMatchObject({
        code: 'step_not_current',
      });
      expect(kit.callsOf('issueOtp')).toHaveLength(1);
      expect(kit.callsOf('verifyOtp')).toHaveLength(1);
    },
  );

  test('no factor step offers or accepts an email code as the other factor', async () => {
    const { kit, view } = await pastInbox({ factors: ['totp', 'recovery_code'] });
    expect(stepOf(view).data.otherFactors).toEqual(['recovery_code']);
    for (const method of ['email', 'email_code', 'otp'])
      await expect(kit.submit('totp', { method })).rejects.toMatchObject({
        code: 'invalid_input',
      });
    expect(stepOf(await kit.view()).name).toBe('totp');
  });
});

describe('recovery@1: input refused', () => {
  test.each([
    ['an array of addresses', { email: [EMAIL, 'attacker@example.com'] }],
    ['a comma-separated list', { email: `${EMAIL},attacker@example.com` }],
    ['a space-separated list', { email: `${EMAIL} attacker@example.com` }],
    ['a display name', { email: `Ada <${EMAIL}>` }],
    ['a second field', { email: EMAIL, emails: ['attacker@example.com'] }],
  ])(
    'the email step refuses %s as invalid_input without sending a code (GitLab CVE-2023-7028)',
    async (_, input) => {
      const kit = startRecovery();
      await expect(kit.submit('email', input)).rejects.toMatchObject({
        name: 'SubmissionRefused',
        code: 'invalid_input',
      });
      expect(kit.calls).toEqual([]);
      expect(stepOf(await kit.view()).name).toBe('email');
    },
  );

  test('the start refuses unknown fields: no account, user or address can be named at start', () => {
    const start = recovery.start?.input;
    expect(start?.safeParse({ login_hint: EMAIL }).success).toBe(true);
    for (const extra of [{ user_id: 'user-1' }, { email: EMAIL }, { challenge_id: 'challenge-1' }])
      expect(start?.safeParse({ login_hint: EMAIL, ...extra }).success, JSON.stringify(extra)).toBe(
        false,
      );
    expect(() =>
      createJourneyTestKit(recovery, { activities: {}, start: { user_id: 'user-1' } }),
    ).toThrow();
  });

  test('the new password is refused under 8 characters (NIST SP 800-63B-4), and sealed as an argon2id hash otherwise', async () => {
    const { kit } = await pastInbox();
    await expect(kit.submit('new-password', { password: 'short12' })).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [expect.objectContaining({ path: ['password'] })],
    });
    await expect(
      kit.submit('new-password', { password: NEW_PASSWORD, userId: 'someone-else' }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    await kit.submit('new-password', { password: NEW_PASSWORD });
    expect(kit.callsOf('completeRecovery')[0].passwordHash).toMatch(/^\$argon2id\$/);
  });
});

describe('recovery@1: failures end the run with a code', () => {
  const crash = () => {
    throw new Error('database unreachable');
  };

  test.each([
    ['a business refusal', () => businessFailure('recovery_not_proven')],
    ['an activity out of retries', () => new Error('database unreachable')],
  ])(
    'findRecoveryAccount failing with %s fails the run with recovery_not_completed',
    async (_, error) => {
      const { kit, view } = await pastInbox({
        activities: {
          findRecoveryAccount: () => {
            throw error();
          },
        },
      });
      expect(view).toEqual({
        status: 'failed',
        error: { code: 'recovery_not_completed', message: 'The account could not be recovered' },
      });
      expect(kit.callsOf('completeRecovery')).toEqual([]);
      expect(kit.callsOf('createSession')).toEqual([]);
    },
  );

  test.each([
    ['a business refusal', () => businessFailure('recovery_not_proven')],
    ['an activity out of retries', () => new Error('database unreachable')],
  ])(
    'completeRecovery failing with %s fails the run with recovery_not_completed and opens no session',
    async (_, error) => {
      const { kit } = await pastInbox({
        activities: {
          completeRecovery: () => {
            throw error();
          },
        },
      });
      const view = await kit.submit('new-password', { password: NEW_PASSWORD });
      expect(view).toEqual({
        status: 'failed',
        error: { code: 'recovery_not_completed', message: 'The account could not be recovered' },
      });
      expect(kit.callsOf('completeRecovery')).toHaveLength(1);
      expect(kit.callsOf('createSession')).toEqual([]);
    },
  );

  test('createSession out of retries fails the run with session_not_opened', async () => {
    const { kit } = await pastInbox({ activities: { createSession: crash } });
    const view = await kit.submit('new-password', { password: NEW_PASSWORD });
    expect(view).toMatchObject({ status: 'failed', error: { code: 'session_not_opened' } });
    expect(kit.callsOf('completeRecovery')).toHaveLength(1);
  });

  test('issueOtp out of retries fails the run with code_not_issued, before any account is looked up', async () => {
    const kit = startRecovery({ activities: { issueOtp: crash } });
    const view = await kit.submit('email', { email: EMAIL });
    expect(view).toMatchObject({ status: 'failed', error: { code: 'code_not_issued' } });
    expect(kit.callsOf('findRecoveryAccount')).toEqual([]);
  });

  test.each([
    ['verifyTotp', ['totp'], 'totp', { code: TOTP }],
    ['verifyRecoveryCode', ['recovery_code'], 'recovery-code', { code: RECOVERY_CODE }],
    ['verifyPasskey', ['webauthn'], 'passkey', { credential: assertion('good') }],
  ] as const)(
    '%s out of retries fails the run, and nothing is changed',
    async (activity, factors, stepName, input) => {
      const { kit } = await pastInbox({ factors: [...factors], activities: { [activity]: crash } });
      const view = await kit.submit(stepName, input);
      expect(view).toMatchObject({ status: 'failed', error: { code: 'recovery_not_completed' } });
      expect(kit.callsOf('completeRecovery')).toEqual([]);
      expect(kit.callsOf('createSession')).toEqual([]);
    },
  );

  test('beginPasskeySignIn out of retries fails the run before any factor is asked, and nothing is changed', async () => {
    const { kit, view } = await pastInbox({
      factors: ['webauthn'],
      activities: { beginPasskeySignIn: crash },
    });
    expect(view).toMatchObject({ status: 'failed', error: { code: 'recovery_not_completed' } });
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    expect(kit.callsOf('createSession')).toEqual([]);
  });
});

describe('recovery@1: a code texted to the phone, a restricted authenticator (NIST SP 800-63B-4 §3.1.3.3)', () => {
  test('asks an account whose only factor is its phone for a texted code after the inbox; a wrong one stays at the step, a resent one is the one checked, and the session opens at aal1 proven by sms', async () => {
    const { kit, view } = await pastInbox({ factors: ['sms'] });
    expect(stepOf(view)).toEqual({
      name: 'sms-code',
      data: {
        factor: 'sms',
        phone: MASKED_PHONE,
        expiresAt: expect.any(String),
        codeLength: 6,
        otherFactors: [],
      },
    });
    expect(kit.callsOf('sendSmsCode')).toEqual([
      { journeyId: 'journey-under-test', userId: 'user-1', requester: 'requester-1' },
    ]);
    // Delivery runs while the customer waits at the step.
    expect(kit.callsOf('deliverMessage')).toContainEqual({ messageId: 'text-1' });
    const wrong = await kit.submit('sms-code', { code: '111111' });
    expect(stepOf(wrong)).toMatchObject({
      name: 'sms-code',
      error: { code: 'invalid_code', status: 422, path: '/code' },
      data: { phone: MASKED_PHONE },
    });
    // A new text on request: a new challenge, and the error of the old code is gone.
    const resent = await kit.submit('sms-code', { resend: true });
    expect(stepOf(resent)).toMatchObject({ name: 'sms-code', data: { phone: MASKED_PHONE } });
    expect(stepOf(resent).error).toBeUndefined();
    expect(kit.callsOf('sendSmsCode')).toHaveLength(2);
    expect(kit.callsOf('deliverMessage')).toContainEqual({ messageId: 'text-2' });
    // Nothing is changed and nobody signed in until the factor is proven.
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    expect(kit.callsOf('createSession')).toEqual([]);
    const password = await kit.submit('sms-code', { code: SMS_CODE });
    expect(stepOf(password).name).toBe('new-password');
    expect(kit.callsOf('verifySmsCode')).toEqual([
      { userId: 'user-1', challengeId: 'sms-challenge-1', code: expect.stringMatching(/^sec_/) },
      { userId: 'user-1', challengeId: 'sms-challenge-2', code: expect.stringMatching(/^sec_/) },
    ]);
    expect(kit.reveal(kit.callsOf('verifySmsCode')[1].code)).toBe(SMS_CODE);
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    expect(kit.callsOf('createSession')).toEqual([]);
    const done = await kit.submit('new-password', { password: NEW_PASSWORD });
    // The inbox and a texted code, no password proven: one factor at most, never aal2.
    expect(done).toMatchObject({
      status: 'completed',
      result: { type: 'session', user: { id: 'user-1' }, session: { aal: 1, amr: ['sms'] } },
    });
    expect(kit.callsOf('createSession')).toEqual([
      { journeyId: 'journey-under-test', userId: 'user-1', aal: 1, amr: ['sms'] },
    ]);
    expect(callNames(kit).filter((name) => name !== 'deliverMessage')).toEqual([
      'issueOtp',
      'verifyOtp',
      'findRecoveryAccount',
      'sendSmsCode',
      'verifySmsCode',
      'sendSmsCode',
      'verifySmsCode',
      'completeRecovery',
      'createSession',
    ]);
  });

  test('passes ui_locales to sendSmsCode, for the text', async () => {
    const { kit } = await pastInbox({ factors: ['sms'], start: { ui_locales: 'fr-CA fr' } });
    expect(kit.callsOf('sendSmsCode')).toEqual([
      {
        journeyId: 'journey-under-test',
        userId: 'user-1',
        requester: 'requester-1',
        locales: ['fr-CA', 'fr'],
      },
    ]);
  });

  test.each([
    [['totp', 'sms'], 'totp'],
    [['webauthn', 'sms'], 'passkey'],
    [['webauthn', 'totp', 'sms', 'recovery_code'], 'passkey'],
  ] as const)(
    'never offers the phone as the way back into an account with a stronger factor: with %j, %s is asked, sms is not among the others and is refused factor_not_enrolled',
    async (factors, stepName) => {
      const { kit, view } = await pastInbox({ factors: [...factors] });
      expect(stepOf(view).name).toBe(stepName);
      expect(stepOf(view).data.otherFactors).not.toContain('sms');
      const refused = await kit.submit(stepName, { method: 'sms' });
      expect(stepOf(refused)).toMatchObject({
        name: stepName,
        error: { code: 'factor_not_enrolled', status: 422, path: '/method' },
      });
      expect(kit.callsOf('sendSmsCode')).toEqual([]);
      expect(kit.callsOf('verifySmsCode')).toEqual([]);
    },
  );

  test('from the phone, turns to the recovery codes the account also has, and back', async () => {
    const { kit, view } = await pastInbox({ factors: ['sms', 'recovery_code'] });
    expect(stepOf(view)).toMatchObject({
      name: 'sms-code',
      data: { otherFactors: ['recovery_code'] },
    });
    expect(stepOf(await kit.submit('sms-code', { method: 'totp' }))).toMatchObject({
      name: 'sms-code',
      error: { code: 'factor_not_enrolled', path: '/method' },
    });
    const recoveryCode = await kit.submit('sms-code', { method: 'recovery_code' });
    expect(stepOf(recoveryCode)).toEqual({
      name: 'recovery-code',
      data: { factor: 'recovery_code', otherFactors: ['sms'] },
    });
    const back = await kit.submit('recovery-code', { method: 'sms' });
    expect(stepOf(back)).toMatchObject({ name: 'sms-code', data: { phone: MASKED_PHONE } });
    // Each turn to the phone texts a new code.
    expect(kit.callsOf('sendSmsCode')).toHaveLength(2);
    await kit.submit('sms-code', { code: SMS_CODE });
    const done = await kit.submit('new-password', { password: NEW_PASSWORD });
    expect(done).toMatchObject({
      status: 'completed',
      result: { session: { aal: 1, amr: ['sms'] } },
    });
  });

  test('a text refused before it went (sms_limited) is shown at sms-code with when to come back (429), nothing is delivered, and a resend later texts again', async () => {
    const retryAt = '2026-12-01T00:00:00.000Z';
    let limited = true;
    const { kit, view } = await pastInbox({
      factors: ['sms'],
      activities: {
        sendSmsCode: () => {
          if (limited) throw businessFailure('sms_limited', { retryAt });
          return {
            challengeId: 'sms-challenge-1',
            messageId: 'text-1',
            expiresAt: new Date(kit.clock.now() + 600_000).toISOString(),
            phone: MASKED_PHONE,
          };
        },
        verifySmsCode: (input: { challengeId: string; code: string }) => {
          if (input.challengeId !== 'sms-challenge-1' || kit.reveal(input.code) !== SMS_CODE)
            throw businessFailure('invalid_code');
          return { verifiedAt: '2026-11-30T12:00:00.000Z' };
        },
      },
    });
    expect(view.status).toBe('active');
    expect(stepOf(view)).toMatchObject({
      name: 'sms-code',
      data: { factor: 'sms', codeLength: 6, otherFactors: [] },
      error: {
        code: 'sms_limited',
        status: 429,
        message: 'Too many text messages: try again later, or choose another way',
        detail: { retryAt },
      },
    });
    expect(kit.callsOf('sendSmsCode')).toHaveLength(1);
    expect(kit.callsOf('deliverMessage')).toEqual([{ messageId: 'code-1' }]);
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    // Still refused: the step says so again, and still nothing is delivered.
    const again = await kit.submit('sms-code', { resend: true });
    expect(stepOf(again)).toMatchObject({
      name: 'sms-code',
      error: { code: 'sms_limited', status: 429, detail: { retryAt } },
    });
    expect(kit.callsOf('sendSmsCode')).toHaveLength(2);
    expect(kit.callsOf('deliverMessage')).toEqual([{ messageId: 'code-1' }]);
    // A code typed while no text is live checks nothing, delivers nothing: the refusal stays.
    const typed = await kit.submit('sms-code', { code: SMS_CODE });
    expect(stepOf(typed)).toMatchObject({ name: 'sms-code', error: { code: 'sms_limited' } });
    expect(kit.callsOf('verifySmsCode')).toEqual([]);
    expect(kit.callsOf('deliverMessage')).toEqual([{ messageId: 'code-1' }]);
    limited = false;
    const texted = await kit.submit('sms-code', { resend: true });
    expect(stepOf(texted)).toMatchObject({ name: 'sms-code', data: { phone: MASKED_PHONE } });
    expect(stepOf(texted).error).toBeUndefined();
    expect(kit.callsOf('sendSmsCode')).toHaveLength(3);
    expect(kit.callsOf('deliverMessage')).toEqual([
      { messageId: 'code-1' },
      { messageId: 'text-1' },
    ]);
    expect(stepOf(await kit.submit('sms-code', { code: SMS_CODE })).name).toBe('new-password');
  });
});

describe('recovery@1: the inbox proven by the link sent beside the code', () => {
  test('asks issueOtp for a link, and a link submitted at verify-email is checked by verifyOtp as the code is, sealed, then moves on as a code does', async () => {
    const kit = await atInboxCode();
    expect(kit.callsOf('issueOtp')[0].policy).toMatchObject({ link: true });
    const password = await kit.submit('verify-email', { link: INBOX_LINK });
    expect(stepOf(password).name).toBe('new-password');
    expect(kit.callsOf('verifyOtp')).toEqual([
      { challengeId: 'challenge-1', link: expect.stringMatching(/^sec_/), maxAttempts: 5 },
    ]);
    // Sealed as a code is: the journey only ever holds a vault reference, never the token.
    expect(kit.callsOf('verifyOtp')[0]).not.toHaveProperty('code');
    expect(kit.reveal(kit.callsOf('verifyOtp')[0].link)).toBe(INBOX_LINK);
    expect(kit.callsOf('findRecoveryAccount')).toEqual([{ challengeId: 'challenge-1' }]);
    const done = await kit.submit('new-password', { password: NEW_PASSWORD });
    // The link adds nothing a code does not: the inbox alone, aal1 otp.
    expect(done).toMatchObject({
      status: 'completed',
      result: { session: { aal: 1, amr: ['otp'] } },
    });
    expect(kit.callsOf('completeRecovery')).toEqual([
      {
        journeyId: 'journey-under-test',
        challengeId: 'challenge-1',
        passwordHash: NEW_PASSWORD_HASH,
      },
    ]);
  });

  test('a link leads to the account second factor as a code does, never past it', async () => {
    const kit = await atInboxCode({ factors: ['sms'] });
    const factor = await kit.submit('verify-email', { link: INBOX_LINK });
    expect(stepOf(factor)).toMatchObject({ name: 'sms-code', data: { phone: MASKED_PHONE } });
    await expect(kit.submit('new-password', { password: NEW_PASSWORD })).rejects.toMatchObject({
      code: 'step_not_current',
    });
  });

  test('a link that is not right is refused at verify-email as a wrong code is', async () => {
    const kit = await atInboxCode();
    const wrong = await kit.submit('verify-email', {
      link: `${INBOX_LINK.slice(0, -1)}A`,
    });
    expect(stepOf(wrong)).toMatchObject({
      name: 'verify-email',
      error: { code: 'invalid_code', detail: { attemptsLeft: 4 } },
    });
    expect(kit.callsOf('findRecoveryAccount')).toEqual([]);
  });

  test.each([
    ['not a token', { link: 'not-a-token' }],
    ['a secret too short', { link: INBOX_LINK.slice(0, -1) }],
    ['a challenge id that is no uuid', { link: `challenge-1.${INBOX_LINK.split('.')[1]}` }],
    ['a link beside a code', { link: INBOX_LINK, code: INBOX_CODE }],
  ])('the verify-email step refuses %s as invalid_input, without checking it', async (_, input) => {
    const kit = await atInboxCode();
    await expect(kit.submit('verify-email', input)).rejects.toMatchObject({
      name: 'SubmissionRefused',
      code: 'invalid_input',
    });
    expect(kit.callsOf('verifyOtp')).toEqual([]);
    expect(stepOf(await kit.view()).name).toBe('verify-email');
  });
});

describe('recovery@1: a texted code that cannot be sent or checked', () => {
  const crash = () => {
    throw new Error('sms gateway unreachable');
  };

  test('sendSmsCode out of retries fails the run with recovery_not_completed, and nothing is changed', async () => {
    const { kit, view } = await pastInbox({ factors: ['sms'], activities: { sendSmsCode: crash } });
    expect(view).toEqual({
      status: 'failed',
      error: { code: 'recovery_not_completed', message: 'The account could not be recovered' },
    });
    expect(kit.callsOf('sendSmsCode')).toHaveLength(1);
    expect(kit.callsOf('verifySmsCode')).toEqual([]);
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    expect(kit.callsOf('createSession')).toEqual([]);
  });

  test('verifySmsCode out of retries fails the run with recovery_not_completed, and nothing is changed', async () => {
    const { kit } = await pastInbox({ factors: ['sms'], activities: { verifySmsCode: crash } });
    const view = await kit.submit('sms-code', { code: SMS_CODE });
    expect(view).toEqual({
      status: 'failed',
      error: { code: 'recovery_not_completed', message: 'The account could not be recovered' },
    });
    expect(kit.callsOf('completeRecovery')).toEqual([]);
    expect(kit.callsOf('createSession')).toEqual([]);
  });

  test('a text that cannot be delivered keeps the customer at sms-code, free to ask for another', async () => {
    const { kit, view } = await pastInbox({
      factors: ['sms'],
      activities: {
        deliverMessage: (input: { messageId: string }) => {
          if (input.messageId === 'text-1') throw new Error('sms gateway unreachable');
          return { status: 'sent' };
        },
      },
    });
    expect(view).toMatchObject({ status: 'active', step: { name: 'sms-code' } });
    await kit.submit('sms-code', { resend: true });
    expect(kit.callsOf('deliverMessage')).toContainEqual({ messageId: 'text-2' });
    expect(stepOf(await kit.submit('sms-code', { code: SMS_CODE })).name).toBe('new-password');
  });
});
