import { describe, expect, test } from 'vitest';
import { factorRemoval } from '../../journeys/factor-removal.js';
import { mfaEnrolment } from '../../journeys/mfa-enrolment.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import { createJourneyTestKit, type FakeActivity } from '../../src/authoring/test-kit.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { SessionRef } from '../../src/journey-kit/define-journey.js';
import type { RunState } from '../../src/run/run-state.js';

const session: SessionRef = {
  id: 'session-1',
  userId: 'user-1',
  aal: 2,
  amr: ['pwd', 'otp', 'mfa'],
  authTime: '2026-11-30T12:00:00.000Z',
  factorAuthTimes: { pwd: '2026-11-30T12:00:00.000Z', otp: '2026-11-30T12:00:00.000Z' },
};
const stepOf = (view: RunState) => view.step as NonNullable<RunState['step']>;
const shown = (name: string) => ({ $secret: `sec_${name.padEnd(24, 'x')}` });

/** mfa-enrolment@1 against fakes with the contracts of the totp, passkey and recovery activities. */
function startEnrolment(
  start: Record<string, unknown>,
  {
    firstFactor = true,
    ...activities
  }: Partial<Record<ActivityName, FakeActivity>> & {
    firstFactor?: boolean;
  } = {},
) {
  let ceremonies = 0;
  const kit = createJourneyTestKit(mfaEnrolment, {
    session,
    start,
    activities: {
      beginTotpEnrolment: () => ({
        credentialId: 'totp-1',
        otpauthUri: shown('uri'),
        qrCode: shown('qr'),
        secret: shown('secret'),
      }),
      confirmTotp: (input: { code: string }) => {
        if (kit.reveal(input.code) !== '123456') throw businessFailure('invalid_code');
        return { confirmedAt: '2026-11-30T12:01:00.000Z', firstFactor };
      },
      beginPasskeyRegistration: () => {
        ceremonies += 1;
        return { options: { challenge: `challenge-${ceremonies}` } };
      },
      finishPasskeyRegistration: (input: { credential: { id: string } }) => {
        if (input.credential.id !== 'good') throw businessFailure('passkey_refused');
        return { passkeyId: 'passkey-1', firstFactor };
      },
      issueRecoveryCodes: () => ({ codes: [shown('code-1'), shown('code-2')], count: 2 }),
      forgetRecoveryCodes: () => undefined,
      ...activities,
    },
  });
  return kit;
}

const attestation = (id: string) => ({
  id,
  rawId: id,
  type: 'public-key',
  response: { clientDataJSON: 'e30', attestationObject: 'oA' },
  clientExtensionResults: {},
});

describe('mfa-enrolment@1: the session behind it (security review, items 1 and 4)', () => {
  test("asks for the account's highest level, recently (NIST SP 800-63B-4 §4.1.2)", () => {
    expect(mfaEnrolment.start?.session?.(mfaEnrolment.settings.parse({}))).toEqual({
      maxAgeSeconds: 900,
      accountAal: true,
    });
  });

  test('fails, rather than asking again, when the session is gone at confirmation', async () => {
    const kit = startEnrolment(
      {},
      {
        confirmTotp: () => {
          throw businessFailure('session_required');
        },
      },
    );
    expect(await kit.submit('confirm-totp', { code: '123456' })).toMatchObject({
      status: 'failed',
      error: { code: 'session_required' },
    });
  });

  test('fails when the session is gone as the passkey is kept (a logout during the ceremony)', async () => {
    const kit = startEnrolment(
      { factor: 'passkey' },
      {
        finishPasskeyRegistration: () => {
          throw businessFailure('session_required');
        },
      },
    );
    expect(await kit.submit('register-passkey', { credential: attestation('good') })).toMatchObject(
      { status: 'failed', error: { code: 'session_required' } },
    );
  });

  test('fails with second_factor_required when recovery codes are asked for an account with no strong factor', async () => {
    const kit = startEnrolment(
      { factor: 'recovery_codes' },
      {
        issueRecoveryCodes: () => {
          throw businessFailure('second_factor_required');
        },
      },
    );
    expect(await kit.view()).toMatchObject({
      status: 'failed',
      error: { code: 'second_factor_required' },
    });
  });

  test('passes the session reference itself to every activity, never a bare user id', async () => {
    const kit = startEnrolment({});
    await kit.submit('confirm-totp', { code: '123456' });
    expect(kit.callsOf('beginTotpEnrolment')[0]).toMatchObject({ session });
    expect(kit.callsOf('confirmTotp')[0]).toMatchObject({ session });
    expect(kit.callsOf('issueRecoveryCodes')[0]).toMatchObject({ session });
  });
});

describe('mfa-enrolment@1', () => {
  test("shows an authenticator app's key by reference, confirms it with a code, then the first factor's recovery codes until saved", async () => {
    const kit = startEnrolment({});
    expect(stepOf(await kit.view())).toEqual({
      name: 'confirm-totp',
      data: {
        factor: 'totp',
        otpauthUri: shown('uri'),
        qrCode: shown('qr'),
        secret: shown('secret'),
        codeLength: 6,
      },
    });
    const wrong = await kit.submit('confirm-totp', { code: '000000' });
    expect(stepOf(wrong)).toMatchObject({ name: 'confirm-totp', error: { code: 'invalid_code' } });
    const codes = await kit.submit('confirm-totp', { code: '123456' });
    expect(stepOf(codes)).toEqual({
      name: 'recovery-codes',
      data: { codes: [shown('code-1'), shown('code-2')], count: 2 },
    });
    expect(await kit.submit('recovery-codes', { saved: true })).toEqual({
      status: 'completed',
      result: { type: 'none' },
    });
    expect(kit.callsOf('forgetRecoveryCodes')).toHaveLength(1);
  });

  test('shows no recovery codes when the account had a factor already', async () => {
    const kit = startEnrolment({}, { firstFactor: false });
    expect((await kit.submit('confirm-totp', { code: '123456' })).status).toBe('completed');
    expect(kit.callsOf('issueRecoveryCodes')).toEqual([]);
  });

  test('registers a passkey; a refused answer begins again with a fresh challenge', async () => {
    const kit = startEnrolment({ factor: 'passkey' }, { firstFactor: false });
    const view = await kit.view();
    expect(view).toMatchObject({ status: 'active' });
    const first = stepOf(view);
    expect(first).toMatchObject({ name: 'register-passkey', data: { factor: 'webauthn' } });
    const refused = await kit.submit('register-passkey', { credential: attestation('bad') });
    expect(stepOf(refused)).toMatchObject({
      name: 'register-passkey',
      error: { code: 'passkey_refused', path: '/credential' },
    });
    expect(stepOf(refused).data.options).not.toEqual(first.data.options);
    expect((await kit.submit('register-passkey', { credential: attestation('good') })).status).toBe(
      'completed',
    );
  });

  test('makes a new set of recovery codes when started for them', async () => {
    const kit = startEnrolment({ factor: 'recovery_codes' });
    expect(stepOf(await kit.view()).name).toBe('recovery-codes');
    expect((await kit.submit('recovery-codes', { saved: true })).status).toBe('completed');
    expect(kit.callsOf('beginTotpEnrolment')).toEqual([]);
  });

  test.each([
    ['beginTotpEnrolment', {}],
    ['beginPasskeyRegistration', { factor: 'passkey' }],
    ['issueRecoveryCodes', { factor: 'recovery_codes' }],
  ] as const)('fails the run when %s is out of retries', async (activity, start) => {
    const kit = startEnrolment(start, {
      [activity]: () => {
        throw new Error('database unreachable');
      },
    });
    expect(await kit.view()).toMatchObject({
      status: 'failed',
      error: { code: 'sign_in_not_completed' },
    });
  });
});

describe('factor-removal@1', () => {
  const removal = (removeFactor: FakeActivity, settings: Record<string, unknown> = {}) =>
    createJourneyTestKit(factorRemoval, {
      session,
      start: { factor: 'totp-1' },
      settings,
      activities: { removeFactor },
    });

  test('removes the factor, keeping the last one where MFA is required', async () => {
    const kit = removal((input: { keepOne: boolean }) => {
      if (input.keepOne) throw businessFailure('last_factor');
      return { removed: 'totp' };
    });
    expect(await kit.view()).toEqual({ status: 'completed', result: { type: 'none' } });
    expect(kit.callsOf('removeFactor')).toEqual([
      { journeyId: expect.any(String), session, factor: 'totp-1', keepOne: false },
    ]);
    const strict = removal(
      () => {
        throw businessFailure('last_factor');
      },
      { requireMfa: true },
    );
    expect(await strict.view()).toMatchObject({ status: 'failed', error: { code: 'last_factor' } });
  });

  test('asks for a stepped-up session: aal 2, in the last 15 minutes', () => {
    expect(factorRemoval.start?.session?.(factorRemoval.settings.parse({}))).toEqual({
      aal: 2,
      maxAgeSeconds: 900,
    });
  });
});
