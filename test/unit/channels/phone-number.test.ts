import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { numberPrefix } from '../../../src/activities/otp/sms-limits.js';
import { textablePhone } from '../../../src/channels/phone-number.js';

describe('phone numbers a code may be texted to', () => {
  it('normalises a number in international form to E.164, with its country', () => {
    for (const input of [
      '+33 6 12 34 56 78',
      ' +33612345678 ',
      '+33-6.12.34.56.78',
      '+33 (6) 12 34 56 78',
    ])
      expect(textablePhone(input), input).toEqual({
        ok: true,
        phone: { e164: '+33612345678', country: 'FR' },
      });
    expect(textablePhone('+44 7400 123456')).toEqual({
      ok: true,
      phone: { e164: '+447400123456', country: 'GB' },
    });
  });

  it('accepts a US number that may be a mobile (FIXED_LINE_OR_MOBILE: the plan does not tell)', () => {
    expect(parsePhoneNumberFromString('+12015550123')?.getType()).toBe('FIXED_LINE_OR_MOBILE');
    expect(textablePhone('+1 (201) 555-0123')).toEqual({
      ok: true,
      phone: { e164: '+12015550123', country: 'US' },
    });
  });

  it('refuses what is no valid number in international form (invalid_phone)', () => {
    for (const input of [
      '06 12 34 56 78',
      '0033612345678',
      '33612345678',
      '+33 6 12 AB 56 78',
      'call me',
      '+3361234',
      '+33',
      '',
      '+33 6 12 34 56 78 9',
    ])
      expect(textablePhone(input), input).toEqual({ ok: false, code: 'invalid_phone' });
  });

  it('refuses premium-rate, toll-free and fixed-line numbers (phone_type_refused)', () => {
    for (const [input, type] of [
      ['+33 8 99 12 34 56', 'PREMIUM_RATE'],
      ['+1 900 555 0123', 'PREMIUM_RATE'],
      ['+33 8 00 12 34 56', 'TOLL_FREE'],
      ['+1 800 555 0123', 'TOLL_FREE'],
      ['+33 1 23 45 67 89', 'FIXED_LINE'],
      ['+44 20 7946 0018', 'FIXED_LINE'],
    ] as const) {
      // Valid numbers, refused for their kind only.
      expect(parsePhoneNumberFromString(input)?.getType(), input).toBe(type);
      expect(textablePhone(input), input).toEqual({ ok: false, code: 'phone_type_refused' });
    }
  });
});

describe('number prefixes (the ranges numbers are sold in)', () => {
  it('drops the last four digits', () => {
    expect(numberPrefix('+33612345678')).toBe('+3361234');
    expect(numberPrefix('+447400123456')).toBe('+44740012');
    expect(numberPrefix('+33612340001')).toBe(numberPrefix('+33612349999'));
    expect(numberPrefix('+33612340001')).not.toBe(numberPrefix('+33612350001'));
  });
});
