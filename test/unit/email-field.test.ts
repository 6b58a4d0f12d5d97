import { describe, expect, it } from 'vitest';
import { canonicalEmail, emailField } from '../../src/journey-kit/fields.js';

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
    for (const value of [
      'ada',
      'ada@',
      '@example.com',
      'a b@example.com',
      '',
      'ada@example.com.',
    ]) {
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

// What mail software reads differently from what is stored: each of these was accepted and stored
// as typed, and nodemailer would have sent elsewhere (issue "Hardening", security review).
describe('emailField accepts a plain mailbox address only', () => {
  it.each([
    ['a list', 'victim@example.test,evil.test'],
    ['a route in angle brackets', '<x@evil.test>example.test'],
    ['a display name', 'Ada <ada@example.com>'],
    ['a quoted local part', '"ada lovelace"@example.com'],
    ['a comment', 'ada(work)@example.com'],
    ['a group', 'friends: ada@example.com;'],
    ['two at signs', 'ada@evil.test@example.com'],
    ['a control character', 'ada\u0000@example.com'],
    ['a line break', 'ada@example.com\r\nbcc: eve@example.com'],
    ['a zero-width space', 'ada@exam\u200bple.com'],
    ['a right-to-left override', '\u202eada@example.com'],
    ['full-width letters (NFKC would change them)', '\uff41da@example.com'],
    ['a ligature (NFKC would change it)', '\ufb01le@example.com'],
    ['an empty label', 'ada@example..com'],
    ['a leading hyphen in a label', 'ada@-example.com'],
    ['a domain with no dot', 'ada@localhost'],
  ])('refuses %s', (_, value) => {
    expect(emailField().safeParse(value).success).toBe(false);
  });

  it('keeps what real addresses use: plus tags, apostrophes, dots, digits, non-Latin scripts', () => {
    for (const value of [
      'ada+newsletter@example.com',
      "o'brien@example.ie",
      'first.last@sub.example.co.uk',
      '\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a',
      'jos\u00e9@xn--bcher-kva.example',
    ])
      expect(emailField().safeParse(value).success, value).toBe(true);
  });
});
