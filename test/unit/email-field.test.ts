import { describe, expect, it } from 'vitest';
import { canonicalEmail, emailField } from '../../src/engine/fields.js';

describe('canonicalEmail', () => {
  it('trims, composes (NFC) and lower-cases, so one mailbox is one identifier', () => {
    expect(canonicalEmail('  JOSE\u0301@Example.COM \n')).toBe('jos\u00e9@example.com');
    expect(canonicalEmail('jos\u00e9@example.com')).toBe(canonicalEmail('JOSE\u0301@EXAMPLE.com'));
  });
});

describe('emailField', () => {
  const domain254 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;

  it('accepts an address as typed and yields its canonical form', () => {
    expect(emailField().parse('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
  });

  it('accepts an internationalised address (RFC 6531)', () => {
    expect(emailField().parse('Jos\u00e9@b\u00fccher.example')).toBe(
      'jos\u00e9@b\u00fccher.example',
    );
  });

  it('refuses what is not an address', () => {
    for (const value of ['ada', 'ada@', '@example.com', 'a b@example.com', '']) {
      expect(emailField().safeParse(value).success, value).toBe(false);
    }
  });

  it('accepts 254 characters and refuses 255 (RFC 5321 path limit)', () => {
    const longest = `${'a'.repeat(64)}@${domain254}`;
    expect(longest).toHaveLength(254);
    expect(emailField().safeParse(longest).success).toBe(true);
    expect(emailField().safeParse(`a${longest}`).success).toBe(false);
  });
});
