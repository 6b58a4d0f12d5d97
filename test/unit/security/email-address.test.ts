import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { canonicalEmail, emailAddress } from '../../../src/security/email-address.js';

describe('canonicalEmail', () => {
  it('trims, composes (NFC) and lower-cases', () => {
    expect(canonicalEmail('  JOSE\u0301@Example.COM \n')).toBe('jos\u00e9@example.com');
  });
});

describe('emailAddress', () => {
  const domain254 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;

  it('accepts an address with surrounding spaces and trims it, keeping its case', () => {
    expect(emailAddress().parse('  Ada@Example.com ')).toBe('Ada@Example.com');
  });

  it('refuses what is not an address', () => {
    for (const value of ['ada', 'ada@', '@example.com', 'ada@example', 'a b@example.com']) {
      expect(emailAddress().safeParse(value).success).toBe(false);
    }
  });

  it('accepts 254 characters and refuses 255 (RFC 5321 path limit)', () => {
    const longest = `${'a'.repeat(64)}@${domain254}`;
    expect(longest).toHaveLength(254);
    expect(emailAddress().safeParse(longest).success).toBe(true);
    expect(emailAddress().safeParse(`a${longest}`).success).toBe(false);
  });

  it('stays importable by pure journey code: no node:* imports', async () => {
    const source = await readFile(
      new URL('../../../src/security/email-address.ts', import.meta.url),
      'utf8',
    );
    expect(source).not.toMatch(/from ['"]node:/);
  });
});
