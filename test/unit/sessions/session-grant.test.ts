import { describe, expect, test } from 'vitest';
import type { SessionRef } from '../../../src/journey-kit/define-journey.js';
import { createKeyring, generateKeySpec } from '../../../src/security/keyring.js';
import { createSessionGrants } from '../../../src/sessions/session-grant.js';

const session: SessionRef = {
  id: 'session-1',
  userId: 'user-1',
  aal: 1,
  amr: ['pwd'],
  authTime: '2026-12-01T10:00:00.000Z',
  factorAuthTimes: { pwd: '2026-12-01T10:00:00.000Z' },
};
const claims = {
  run: 'jrn_run',
  journey: 'mfa-enrolment@1',
  notAfter: '2026-12-01T11:15:00.000Z',
  demand: { maxAgeSeconds: 900, accountAal: true as const },
};
const oldKey = generateKeySpec('k1');
const grants = createSessionGrants(createKeyring(oldKey));

describe('session grants (trust boundary 1)', () => {
  test('verify the claims of a reference signed under the keyring', () => {
    const signed = grants.sign(session, claims);
    expect(signed.grant?.mac).toMatch(/^k1\./);
    expect(grants.verify(signed)).toEqual(claims);
  });

  test('refuse a reference with no grant, or one signed under another keyring', () => {
    expect(grants.verify(session)).toBeUndefined();
    const elsewhere = createSessionGrants(createKeyring(generateKeySpec('k1'))).sign(
      session,
      claims,
    );
    expect(grants.verify(elsewhere)).toBeUndefined();
  });

  test.each([
    ['the user', { userId: 'victim' }],
    ['the session', { id: 'session-2' }],
    ['the level', { aal: 2 }],
    ['the methods', { amr: ['pwd', 'hwk'] }],
    ['the auth time', { authTime: '2026-12-01T10:59:00.000Z' }],
    ['a factor time', { factorAuthTimes: { pwd: '2026-12-01T10:00:00.000Z', otp: 'now' } }],
  ])('refuse a signed reference with %s changed', (_, change) => {
    const signed = grants.sign(session, claims);
    expect(grants.verify({ ...signed, ...change })).toBeUndefined();
  });

  test.each([
    ['run', { run: 'jrn_other' }],
    ['journey', { journey: 'step-up@1' }],
    ['lifetime', { notAfter: '2027-01-01T00:00:00.000Z' }],
    ['demand', { demand: {} }],
    ['mac', { mac: 'k1.AAAA' }],
    ['key id', { mac: 'k9.AAAA' }],
  ])('refuse a grant with its %s changed', (_, change) => {
    const signed = grants.sign(session, claims);
    const grant = { ...(signed.grant as NonNullable<SessionRef['grant']>), ...change };
    expect(grants.verify({ ...signed, grant })).toBeUndefined();
  });

  test('a grant signed before a key rotation still verifies while the old key is listed', () => {
    const signed = grants.sign(session, claims);
    const rotated = createSessionGrants(createKeyring(`${generateKeySpec('k2')},${oldKey}`));
    expect(rotated.verify(signed)).toEqual(claims);
    expect(rotated.sign(session, claims).grant?.mac).toMatch(/^k2\./);
  });
});
