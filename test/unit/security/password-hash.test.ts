import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  normalizePassword,
  verifyPassword,
} from '../../../src/security/password-hash.js';

describe('hashPassword / verifyPassword', () => {
  it('hashes with argon2id at m=19456 KiB, t=2, p=1 (OWASP; ASVS 2.4.1)', async () => {
    expect(await hashPassword('correct horse battery staple')).toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/,
    );
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('accepts the same password however Unicode composed it (NIST SP 800-63B §5.1.1.2)', async () => {
    const hash = await hashPassword('caf\u00e9 au lait');
    expect(await verifyPassword(hash, 'cafe\u0301 au lait')).toBe(true);
  });
});

describe('normalizePassword', () => {
  it('applies NFKC', () => {
    expect(normalizePassword('ｐａｓｓｗｏｒｄ')).toBe('password');
    expect(normalizePassword('\ufb01ne')).toBe('fine');
    expect(normalizePassword('cafe\u0301')).toBe('caf\u00e9');
  });
});
