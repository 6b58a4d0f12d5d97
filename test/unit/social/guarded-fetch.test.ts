import { describe, expect, it } from 'vitest';
import { guardedFetch, isPrivateAddress } from '../../../src/social/guarded-fetch.js';
import { emailVerifiedOf } from '../../../src/social/social-providers.js';

describe('calls out to social providers (SSRF guard, ASVS 5.0 V1.3.6)', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    'not an address',
  ])('count %s as an address no call may reach', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '142.250.74.110', '2a00:1450:4007:80e::200e'])(
    'let the public address %s through',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

  const guarded = guardedFetch({ allowPrivate: false, timeoutMs: 2_000 });

  it('refuse plain http, whatever the host', async () => {
    await expect(
      guarded('http://accounts.example.com/.well-known/openid-configuration', {}),
    ).rejects.toThrow(/not https/);
  });

  it.each([
    'https://127.0.0.1/.well-known/openid-configuration',
    'https://[::1]/.well-known/openid-configuration',
    'https://169.254.169.254/latest/meta-data/',
  ])('refuse an address literal of this machine or its networks: %s', async (url) => {
    await expect(guarded(url, {})).rejects.toThrow(/private address/);
  });

  it('refuse a name that resolves to loopback, when connecting (DNS rebinding)', async () => {
    await expect(guarded('https://localhost/.well-known/openid-configuration', {})).rejects.toThrow(
      /resolves to an address/,
    );
  });
});

describe('email_verified as providers send it', () => {
  it('is verified only as `true` or the string "true"', () => {
    expect(emailVerifiedOf(true)).toBe(true);
    expect(emailVerifiedOf('true')).toBe(true);
    for (const value of [false, 'false', 'TRUE', 1, 'yes', undefined, null, {}])
      expect(emailVerifiedOf(value)).toBe(false);
  });
});
