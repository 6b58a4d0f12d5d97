import { describe, expect, test } from 'vitest';
import { stepUp } from '../../journeys/step-up.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import { createJourneyTestKit, type FakeActivity } from '../../src/authoring/test-kit.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { SessionRef } from '../../src/journey-kit/define-journey.js';
import type { RunState } from '../../src/run/run-state.js';

const session: SessionRef = {
  id: 'session-1',
  userId: 'user-1',
  aal: 1,
  amr: ['pwd'],
  authTime: '2026-11-30T12:00:00.000Z',
  factorAuthTimes: { pwd: '2026-11-30T12:00:00.000Z' },
};
const stepOf = (view: RunState) => view.step as NonNullable<RunState['step']>;

/** step-up@1 against fakes with the contracts of listFactors, the factor checks and raiseSession. */
function startStepUp(
  start: Record<string, unknown>,
  factors: string[],
  activities: Partial<Record<ActivityName, FakeActivity>> = {},
) {
  const kit = createJourneyTestKit(stepUp, {
    session,
    start,
    activities: {
      listFactors: () => ({ factors }),
      verifyTotp: (input: { code: string }) => {
        if (kit.reveal(input.code) !== '123456') throw businessFailure('invalid_code');
        return { verifiedAt: '2026-11-30T12:05:00.000Z' };
      },
      verifyRecoveryCode: () => ({ remaining: 9, messageId: 'notice-1' }),
      verifyPassword: (input: { userId: string; password: string }) => {
        if (kit.reveal(input.password) !== 'the password')
          throw businessFailure('invalid_credentials');
        return { userId: input.userId, factors };
      },
      raiseSession: (input: { aal: number; amr: string[] }) => ({
        id: 'session-1',
        token: { $secret: 'sec_raisedraisedraisedraised' },
        aal: Math.max(1, input.aal),
        amr: input.amr,
        authTime: '2026-11-30T12:05:00.000Z',
        expiresAt: '2026-12-14T12:00:00.000Z',
      }),
      deliverMessage: () => ({ status: 'sent' }),
      ...activities,
    },
  });
  return kit;
}

describe('step-up@1', () => {
  test('asks an account with TOTP for its code and raises the same session to aal2, its amr what this run proved (otp)', async () => {
    const kit = startStepUp({ aal: 2 }, ['totp', 'recovery_code']);
    expect(stepOf(await kit.view())).toMatchObject({
      name: 'totp',
      data: { otherFactors: ['recovery_code'] },
    });
    const wrong = await kit.submit('totp', { code: '000000' });
    expect(stepOf(wrong).error).toMatchObject({ code: 'invalid_code' });
    const done = await kit.submit('totp', { code: '123456' });
    expect(done).toMatchObject({
      status: 'completed',
      result: { type: 'session_raised', session: { id: 'session-1', aal: 2 } },
    });
    expect(kit.callsOf('raiseSession')).toEqual([
      { journeyId: expect.any(String), session, aal: 2, amr: ['otp'] },
    ]);
  });

  // Security review, item 3: `{factor:"webauthn"}` completed with a TOTP code after
  // `{method:"totp"}`, and `{factor:"totp"}` with a recovery code (OIDC acr_values; ASVS 5.0 V6.8).
  test.each([
    ['webauthn', 'passkey', 'totp'],
    ['webauthn', 'passkey', 'recovery_code'],
    ['totp', 'totp', 'recovery_code'],
    ['totp', 'totp', 'webauthn'],
    ['recovery_code', 'recovery-code', 'totp'],
  ] as const)(
    'a step-up asking for %s offers no other factor and refuses a switch to %s… (%s)',
    async (factor, stepName, other) => {
      const kit = startStepUp({ factor }, ['webauthn', 'totp', 'recovery_code'], {
        beginPasskeySignIn: () => ({ options: { challenge: 'challenge-1' } }),
      });
      const first = stepOf(await kit.view());
      expect(first).toMatchObject({ name: stepName, data: { otherFactors: [] } });
      const refused = await kit.submit(stepName, { method: other });
      expect(stepOf(refused)).toMatchObject({
        name: stepName,
        error: { code: 'factor_not_enrolled', path: '/method' },
      });
      expect(refused.status).toBe('active');
      expect(kit.callsOf('verifyTotp')).toEqual([]);
      expect(kit.callsOf('verifyRecoveryCode')).toEqual([]);
      expect(kit.callsOf('raiseSession')).toEqual([]);
    },
  );

  test('a step-up asking only for aal 2 still lets the customer choose among the second factors', async () => {
    const kit = startStepUp({ aal: 2 }, ['totp', 'recovery_code']);
    const switched = await kit.submit('totp', { method: 'recovery_code' });
    expect(stepOf(switched).name).toBe('recovery-code');
  });

  test('a passkey step-up raises the session with what a passkey proves (hwk, user, mfa)', async () => {
    const kit = startStepUp({ factor: 'webauthn' }, ['webauthn'], {
      beginPasskeySignIn: () => ({ options: { challenge: 'challenge-1' } }),
      verifyPasskey: () => ({ userId: 'user-1', userVerified: true }),
    });
    const done = await kit.submit('passkey', {
      credential: {
        id: 'cred',
        rawId: 'cred',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
      },
    });
    expect(done.status).toBe('completed');
    expect(kit.callsOf('raiseSession')[0]).toMatchObject({ aal: 2, amr: ['hwk', 'user', 'mfa'] });
  });

  test('asks for the password again when only a recent sign-in is asked and the account has no second factor', async () => {
    const kit = startStepUp({ max_age: 300 }, []);
    expect(stepOf(await kit.view())).toEqual({
      name: 'password',
      data: { reason: 'reauthentication' },
    });
    expect(stepOf(await kit.submit('password', { password: 'wrong' })).error).toMatchObject({
      code: 'invalid_credentials',
      path: '/password',
    });
    expect((await kit.submit('password', { password: 'the password' })).status).toBe('completed');
    expect(kit.callsOf('verifyPassword')[0]).toMatchObject({ userId: 'user-1' });
    expect(kit.callsOf('raiseSession')[0]).toMatchObject({ aal: 1, amr: ['pwd'] });
  });

  test('takes the recovery code when it is the factor asked for, and tells the owner after the answer', async () => {
    const kit = startStepUp({ factor: 'recovery_code' }, ['totp', 'recovery_code']);
    expect(stepOf(await kit.view()).name).toBe('recovery-code');
    const done = await kit.submit('recovery-code', { code: 'ABCD-EFGH-JKMN' });
    expect(done).toMatchObject({ status: 'completed', result: { type: 'session_raised' } });
    expect(kit.callsOf('deliverMessage')).toEqual([{ messageId: 'notice-1' }]);
  });

  test.each([
    [{ aal: 2 }, [], 'second_factor_required'],
    [{ factor: 'totp' }, ['recovery_code'], 'factor_not_enrolled'],
  ] as const)('fails %j for an account with %j: %s', async (start, factors, code) => {
    const kit = startStepUp(start, [...factors]);
    expect(await kit.view()).toMatchObject({ status: 'failed', error: { code } });
  });

  test('fails with session_required when the session was logged out while stepping up', async () => {
    const kit = startStepUp({ aal: 2 }, ['totp'], {
      raiseSession: () => {
        throw businessFailure('session_required');
      },
    });
    expect(await kit.submit('totp', { code: '123456' })).toMatchObject({
      status: 'failed',
      error: { code: 'session_required' },
    });
  });
});
