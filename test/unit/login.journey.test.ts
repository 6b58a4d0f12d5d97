import { describe, expect, test } from 'vitest';
import { login } from '../../journeys/login.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import { createJourneyTestKit, type FakeActivity } from '../../src/authoring/test-kit.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { RunState } from '../../src/run/run-state.js';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';
const TOTP = '123456';

const stepOf = (view: RunState) => view.step as NonNullable<RunState['step']>;

const session = (amr: string[]) => ({
  id: 'session-1',
  token: { $secret: 'sec_aaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
  aal: amr.includes('mfa') ? 2 : 1,
  amr,
  authTime: '2026-11-30T12:00:00.000Z',
  expiresAt: '2026-12-14T12:00:00.000Z',
});

/** login@1 against fakes with the contracts of verifyPassword, verifyTotp and createSession. */
function startLogin(
  options: {
    factors?: string[];
    activities?: Partial<Record<ActivityName, FakeActivity>>;
    start?: Record<string, unknown>;
    settings?: Record<string, unknown>;
  } = {},
) {
  let ceremonies = 0;
  const kit = createJourneyTestKit(login, {
    requester: 'requester-1',
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.start ? { start: options.start } : {}),
    activities: {
      verifyPassword: (input: { identifier: string; password: string }) => {
        if (input.identifier !== EMAIL || kit.reveal(input.password) !== PASSWORD)
          throw businessFailure('invalid_credentials');
        return { userId: 'user-1', factors: options.factors ?? [] };
      },
      verifyTotp: (input: { code: string }) => {
        if (kit.reveal(input.code) !== TOTP) throw businessFailure('invalid_code');
        return { verifiedAt: '2026-11-30T12:00:00.000Z' };
      },
      verifyRecoveryCode: (input: { code: string }) => {
        if (kit.reveal(input.code) !== 'ABCD-EFGH-JKMN') throw businessFailure('invalid_code');
        return { remaining: 9, messageId: 'notice-1' };
      },
      deliverMessage: () => ({ status: 'sent' }),
      issueOtp: () => ({
        challengeId: 'challenge-1',
        messageId: 'code-1',
        expiresAt: new Date(kit.clock.now() + 600_000).toISOString(),
        resendAvailableAt: new Date(kit.clock.now() + 30_000).toISOString(),
      }),
      verifyOtp: (input: { code: string }) => {
        if (kit.reveal(input.code) !== '654321') throw businessFailure('invalid_code');
        return { recipient: EMAIL };
      },
      beginPasskeySignIn: (input: { userId?: string }) => {
        ceremonies += 1;
        return { options: { challenge: `challenge-${ceremonies}`, forUser: input.userId ?? null } };
      },
      verifyPasskey: (input: { credential: { id: string }; userId?: string }) => {
        if (input.credential.id !== 'good') throw businessFailure('passkey_refused');
        return { userId: input.userId ?? 'user-1', userVerified: true };
      },
      createSession: (input: { aal: number; amr: string[] }) => ({
        ...session(input.amr),
        aal: input.aal,
      }),
      ...options.activities,
    },
  });
  return kit;
}

async function atPassword(options: Parameters<typeof startLogin>[0] = {}) {
  const kit = startLogin(options);
  await kit.submit('identify', { email: EMAIL });
  return kit;
}

describe('login@1: the ways through', () => {
  test('asks for the address, then the password, and opens an aal1 session proven by pwd', async () => {
    const kit = startLogin();
    expect(await kit.view()).toEqual({ status: 'active', step: { name: 'identify', data: {} } });
    const password = await kit.submit('identify', { email: EMAIL });
    expect(stepOf(password)).toEqual({ name: 'password', data: { email: EMAIL } });
    const done = await kit.submit('password', { password: PASSWORD });
    expect(done).toMatchObject({
      status: 'completed',
      result: { type: 'session', user: { id: 'user-1' }, session: { aal: 1, amr: ['pwd'] } },
    });
    expect(kit.callsOf('verifyPassword')).toEqual([
      { identifier: EMAIL, password: expect.stringMatching(/^sec_/), requester: 'requester-1' },
    ]);
    expect(kit.callsOf('createSession')).toEqual([
      { journeyId: expect.any(String), userId: 'user-1', aal: 1, amr: ['pwd'] },
    ]);
  });

  test('takes the address and the password together at the first step: one submission, the same check', async () => {
    const kit = startLogin();
    const done = await kit.submit('identify', { email: EMAIL, password: PASSWORD });
    expect(done).toMatchObject({
      status: 'completed',
      result: { type: 'session', user: { id: 'user-1' }, session: { aal: 1, amr: ['pwd'] } },
    });
    expect(kit.callsOf('verifyPassword')).toEqual([
      { identifier: EMAIL, password: expect.stringMatching(/^sec_/), requester: 'requester-1' },
    ]);
    // The password is sealed like the password step's: no secret in the run's history.
    expect(kit.reveal(kit.callsOf('verifyPassword')[0].password)).toBe(PASSWORD);
  });

  test('answers a wrong password or an unknown address given at the first step exactly alike, at the password step', async () => {
    const wrong = startLogin();
    const unknown = startLogin();
    const refusedWrong = await wrong.submit('identify', {
      email: EMAIL,
      password: 'not it at all',
    });
    const refusedUnknown = await unknown.submit('identify', {
      email: 'nobody@example.com',
      password: PASSWORD,
    });
    expect(stepOf(refusedWrong).error).toEqual(stepOf(refusedUnknown).error);
    expect(stepOf(refusedWrong)).toMatchObject({
      name: 'password',
      error: { code: 'invalid_credentials' },
    });
    // The customer tries again at the password step, as on the identifier-first page.
    expect(await wrong.submit('password', { password: PASSWORD })).toMatchObject({
      status: 'completed',
    });
  });

  test.each([
    [{}, { aal: 2, amr: ['pwd', 'sms', 'mfa'] }],
    // A restricted authenticator (NIST SP 800-63B-4 §3.1.3.3) a deployment may refuse for aal 2.
    [{ smsForAal2: false }, { aal: 1, amr: ['pwd', 'sms'] }],
  ])(
    'asks an account whose factor is its phone for a texted code: with settings %j, %j',
    async (settings, expected) => {
      let texted = 0;
      const kit = startLogin({
        factors: ['sms'],
        settings,
        activities: {
          sendSmsCode: () => {
            texted += 1;
            return {
              challengeId: `c-${texted}`,
              messageId: `m-${texted}`,
              expiresAt: 'x',
              phone: '+33••••78',
            };
          },
          verifySmsCode: (input: { code: string; challengeId: string }) => {
            if (kit.reveal(input.code) !== '654321' || input.challengeId !== `c-${texted}`)
              throw businessFailure('invalid_code');
            return { verifiedAt: '2026-11-30T12:00:00.000Z' };
          },
        },
      });
      const asked = stepOf(await kit.submit('identify', { email: EMAIL, password: PASSWORD }));
      expect(asked).toMatchObject({
        name: 'sms-code',
        data: { factor: 'sms', phone: '+33••••78' },
      });
      const wrong = await kit.submit('sms-code', { code: '111111' });
      expect(stepOf(wrong).error?.code).toBe('invalid_code');
      // A new text on request: the new code is the one that counts.
      await kit.submit('sms-code', { resend: true });
      expect(texted).toBe(2);
      const done = await kit.submit('sms-code', { code: '654321' });
      expect(done).toMatchObject({ status: 'completed', result: { session: expected } });
    },
  );

  test('then asks an account with a second factor for it, as after the password step', async () => {
    const kit = startLogin({ factors: ['totp'] });
    const factor = await kit.submit('identify', { email: EMAIL, password: PASSWORD });
    expect(stepOf(factor).name).toBe('totp');
  });

  test('prefills the address from login_hint', async () => {
    const kit = startLogin({ start: { login_hint: EMAIL } });
    expect(stepOf(await kit.view()).data).toEqual({ email: EMAIL });
  });

  test('asks an account with TOTP enrolled for its code, and opens an aal2 session proven by pwd, otp and mfa (RFC 8176)', async () => {
    const kit = await atPassword({ factors: ['totp'] });
    const factor = await kit.submit('password', { password: PASSWORD });
    expect(stepOf(factor)).toEqual({
      name: 'totp',
      data: { codeLength: 6, factor: 'totp', otherFactors: [] },
    });
    expect(kit.callsOf('createSession')).toEqual([]);
    const done = await kit.submit('totp', { code: TOTP });
    expect(done).toMatchObject({
      status: 'completed',
      result: { session: { aal: 2, amr: ['pwd', 'otp', 'mfa'] } },
    });
    // With the requester: code guesses count per requester too (NIST SP 800-63B-4 §3.2.2).
    expect(kit.callsOf('verifyTotp')).toEqual([
      {
        journeyId: expect.any(String),
        userId: 'user-1',
        code: expect.stringMatching(/^sec_/),
        requester: 'requester-1',
      },
    ]);
  });

  test('lets the customer turn from TOTP to a recovery code and back; a recovery code signs in at aal2 and its owner is told after the answer', async () => {
    const kit = await atPassword({ factors: ['totp', 'recovery_code'] });
    const factor = await kit.submit('password', { password: PASSWORD });
    expect(stepOf(factor).data).toMatchObject({ otherFactors: ['recovery_code'] });
    const recovery = await kit.submit('totp', { method: 'recovery_code' });
    expect(stepOf(recovery)).toEqual({
      name: 'recovery-code',
      data: { factor: 'recovery_code', otherFactors: ['totp'] },
    });
    expect(stepOf(await kit.submit('recovery-code', { method: 'totp' })).name).toBe('totp');
    await kit.submit('totp', { method: 'recovery_code' });
    const wrong = await kit.submit('recovery-code', { code: 'AAAA-BBBB-CCCC' });
    expect(stepOf(wrong).error).toMatchObject({ code: 'invalid_code', path: '/code' });
    const done = await kit.submit('recovery-code', { code: 'ABCD-EFGH-JKMN' });
    expect(done).toMatchObject({
      status: 'completed',
      result: { session: { aal: 2, amr: ['pwd', 'otp', 'mfa'] } },
    });
    expect(kit.callsOf('deliverMessage')).toEqual([{ messageId: 'notice-1' }]);
  });

  test('refuses a factor the account does not have with factor_not_enrolled at /method', async () => {
    const kit = await atPassword({ factors: ['totp'] });
    await kit.submit('password', { password: PASSWORD });
    expect(stepOf(await kit.submit('totp', { method: 'recovery_code' }))).toMatchObject({
      name: 'totp',
      error: { code: 'factor_not_enrolled', path: '/method' },
    });
  });
});

const assertion = (id: string) => ({
  id,
  rawId: id,
  type: 'public-key',
  response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
  clientExtensionResults: {},
});

describe('login@1: passkeys', () => {
  test('signs in with a discoverable passkey and no address: aal2, amr hwk and user; a refused one gets a fresh challenge', async () => {
    const kit = startLogin();
    const chosen = await kit.submit('identify', { method: 'passkey' });
    expect(stepOf(chosen)).toEqual({
      name: 'passkey-sign-in',
      data: { factor: 'webauthn', options: { challenge: 'challenge-1', forUser: null } },
    });
    const refused = await kit.submit('passkey-sign-in', { credential: assertion('bad') });
    expect(stepOf(refused)).toMatchObject({
      error: { code: 'passkey_refused', path: '/credential' },
      data: { options: { challenge: 'challenge-2' } },
    });
    const done = await kit.submit('passkey-sign-in', { credential: assertion('good') });
    expect(done).toMatchObject({
      status: 'completed',
      result: { user: { id: 'user-1' }, session: { aal: 2, amr: ['hwk', 'user'] } },
    });
    expect(kit.callsOf('verifyPassword')).toEqual([]);
  });

  test("asks for the account's passkey first after the password, and lets the customer turn to TOTP", async () => {
    const kit = await atPassword({ factors: ['webauthn', 'totp', 'recovery_code'] });
    const factor = await kit.submit('password', { password: PASSWORD });
    expect(stepOf(factor)).toMatchObject({
      name: 'passkey',
      data: { options: { forUser: 'user-1' }, otherFactors: ['totp', 'recovery_code'] },
    });
    const withPasskey = await kit.submit('passkey', { credential: assertion('good') });
    expect(withPasskey).toMatchObject({
      result: { session: { aal: 2, amr: ['pwd', 'hwk', 'user', 'mfa'] } },
    });
    const other = await atPassword({ factors: ['webauthn', 'totp'] });
    await other.submit('password', { password: PASSWORD });
    expect(stepOf(await other.submit('passkey', { method: 'totp' })).name).toBe('totp');
    expect(stepOf(await other.submit('totp', { method: 'webauthn' })).name).toBe('passkey');
  });
});

describe('login@1: an email code where the policy allows it', () => {
  test('asks an account without a second factor for an email code after the password, and the session stays aal1 (NIST SP 800-63B §5.1.3.1)', async () => {
    const kit = await atPassword({ settings: { emailCodeFactor: 'when_no_other_factor' } });
    const code = await kit.submit('password', { password: PASSWORD });
    expect(stepOf(code)).toMatchObject({ name: 'email-code', data: { email: EMAIL } });
    expect(kit.callsOf('issueOtp')[0]).toMatchObject({
      recipient: EMAIL,
      policy: { purpose: 'sign-in', template: 'sign-in-code' },
    });
    const done = await kit.submit('email-code', { code: '654321' });
    expect(done).toMatchObject({
      status: 'completed',
      result: { session: { aal: 1, amr: ['pwd', 'otp'] } },
    });
  });

  test('where every account must have a second factor, opens an aal1 session for one without and names the enrolment it requires', async () => {
    const kit = await atPassword({ settings: { requireMfa: true } });
    expect(await kit.submit('password', { password: PASSWORD })).toMatchObject({
      status: 'completed',
      result: {
        session: { aal: 1 },
        required: { journey: 'mfa-enrolment', reason: 'mfa_required' },
      },
    });
    const enrolled = await atPassword({ factors: ['totp'], settings: { requireMfa: true } });
    await enrolled.submit('password', { password: PASSWORD });
    const done = await enrolled.submit('totp', { code: TOTP });
    expect(done.result).not.toHaveProperty('required');
  });

  test('never asks for it by default, nor of an account with a second factor', async () => {
    expect((await (await atPassword()).submit('password', { password: PASSWORD })).status).toBe(
      'completed',
    );
    const withTotp = await atPassword({
      factors: ['totp'],
      settings: { emailCodeFactor: 'when_no_other_factor' },
    });
    expect(stepOf(await withTotp.submit('password', { password: PASSWORD })).name).toBe('totp');
  });
});

describe('login@1: refusals stay at their step', () => {
  test('a wrong password answers invalid_credentials at /password, and the next try can succeed', async () => {
    const kit = await atPassword();
    const wrong = await kit.submit('password', { password: 'not it' });
    expect(stepOf(wrong)).toMatchObject({
      name: 'password',
      error: { code: 'invalid_credentials', status: 422, path: '/password' },
    });
    expect((await kit.submit('password', { password: PASSWORD })).status).toBe('completed');
  });

  test('an unknown address gets the very answer a wrong password gets (OWASP WSTG-IDNT-04)', async () => {
    const unknown = startLogin();
    await unknown.submit('identify', { email: 'nobody@example.com' });
    const known = await atPassword();
    const [a, b] = [
      await unknown.submit('password', { password: PASSWORD }),
      await known.submit('password', { password: 'not it' }),
    ];
    expect(a).toEqual({ ...b, step: { ...stepOf(b), data: { email: 'nobody@example.com' } } });
  });

  test('a throttled attempt answers 429 sign_in_throttled with when to retry; a locked one 403 password_locked', async () => {
    const retryAt = '2026-11-30T12:00:04.000Z';
    for (const [failure, expected] of [
      [businessFailure('sign_in_throttled', { retryAt }), { status: 429, detail: { retryAt } }],
      [businessFailure('password_locked'), { status: 403, code: 'password_locked' }],
    ] as const) {
      const kit = await atPassword({
        activities: {
          verifyPassword: () => {
            throw failure;
          },
        },
      });
      expect(stepOf(await kit.submit('password', { password: PASSWORD })).error).toMatchObject(
        expected,
      );
    }
  });

  test('a wrong, reused or throttled TOTP code stays at the totp step with its reason at /code', async () => {
    const kit = await atPassword({
      factors: ['totp'],
      activities: {
        verifyTotp: (input: { code: string }) => {
          const code = kit.reveal(input.code);
          if (code === '111111') throw businessFailure('code_used');
          if (code === '222222')
            throw businessFailure('factor_throttled', { retryAt: '2026-11-30T12:00:02.000Z' });
          throw businessFailure('invalid_code');
        },
      },
    });
    await kit.submit('password', { password: PASSWORD });
    for (const [code, expected] of [
      ['000000', { code: 'invalid_code', status: 422, path: '/code' }],
      ['111111', { code: 'code_used', status: 422 }],
      [
        '222222',
        { code: 'factor_throttled', status: 429, detail: { retryAt: expect.any(String) } },
      ],
    ] as const) {
      const view = await kit.submit('totp', { code });
      expect(stepOf(view)).toMatchObject({ name: 'totp', error: expected });
    }
    expect(kit.callsOf('createSession')).toEqual([]);
  });
});

describe('login@1: failures end the run with a code', () => {
  const crash = () => {
    throw new Error('database unreachable');
  };
  test.each([
    ['verifyPassword', 'sign_in_not_completed', false],
    ['verifyTotp', 'sign_in_not_completed', true],
    ['createSession', 'session_not_opened', false],
  ] as const)('%s out of retries fails the run with %s', async (activity, code, withTotp) => {
    const kit = await atPassword({
      factors: withTotp ? ['totp'] : [],
      activities: { [activity]: crash },
    });
    let view = await kit.submit('password', { password: PASSWORD });
    if (withTotp) view = await kit.submit('totp', { code: TOTP });
    expect(view).toMatchObject({ status: 'failed', error: { code } });
  });
});
