import { describe, expect, it } from 'vitest';
import {
  plainRecipient,
  RecipientRefusedError,
  storedEmail,
} from '../../../src/channels/addresses.js';

describe('email addresses as they are stored and sent', () => {
  it('stores the domain as its IDNA A-label, canonical otherwise', () => {
    expect(storedEmail('  Jos\u00e9@B\u00dcCHER.example ')).toBe('jos\u00e9@xn--bcher-kva.example');
    expect(storedEmail('ada@example.com')).toBe('ada@example.com');
    expect(storedEmail('ada@xn--bcher-kva.example')).toBe('ada@xn--bcher-kva.example');
  });

  it('stores nothing a mailer would read differently, nor a domain that is no valid IDN', () => {
    for (const value of [
      'victim@example.test,evil.test',
      '<x@evil.test>example.test',
      'ada@xn--zz.example',
    ])
      expect(storedEmail(value), value).toBeUndefined();
  });

  it('hands the mailer the parsed address only when it reads as exactly the stored one', () => {
    expect(plainRecipient('ada@example.com')).toEqual({ name: '', address: 'ada@example.com' });
    for (const to of [
      'victim@example.test,evil.test',
      '<x@evil.test>example.test',
      'Ada <ada@example.com>',
      'friends: a@b.c;',
    ])
      expect(() => plainRecipient(to), to).toThrow(RecipientRefusedError);
  });
});
