import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** A phone number a text message may go to, as it is stored: E.164, and its country. */
export interface TextablePhone {
  e164: string;
  /** ISO 3166-1 alpha-2, as the numbering plan assigns the number. */
  country: string;
}

export type PhoneRefusal = 'invalid_phone' | 'phone_type_refused';

/**
 * The kinds of number a code is sent to by SMS: mobiles, and the plans' numbers that may be one
 * (the US and Canada do not tell them apart). Premium-rate, shared-cost, toll-free, VoIP, pager,
 * personal and fixed-line numbers, and numbers whose kind the plan does not know, are refused:
 * they are where SMS pumping fraud sends its traffic (OWASP: SMS pumping).
 */
const TEXTABLE_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

/**
 * A number in international form (`+33 6 12 34 56 78`, spaces, dots, dashes and brackets
 * ignored), checked against Google's numbering-plan metadata (libphonenumber-js, full set) and
 * normalised to E.164.
 */
export function textablePhone(
  input: string,
): { ok: true; phone: TextablePhone } | { ok: false; code: PhoneRefusal } {
  const parsed = input.trim().startsWith('+')
    ? parsePhoneNumberFromString(input.trim())
    : undefined;
  if (!parsed?.isValid() || !parsed.country) return { ok: false, code: 'invalid_phone' };
  const type = parsed.getType();
  if (!type || !TEXTABLE_TYPES.has(type)) return { ok: false, code: 'phone_type_refused' };
  return { ok: true, phone: { e164: parsed.number, country: parsed.country } };
}

/**
 * A valid number in E.164, whatever its type, or undefined: one spelling per number, so a number
 * is counted as one however it was written (`+33 (0)6…` and `+33 6…`).
 */
export function e164Of(input: string): string | undefined {
  const parsed = input.trim().startsWith('+')
    ? parsePhoneNumberFromString(input.trim())
    : undefined;
  return parsed?.isValid() ? parsed.number : undefined;
}

/** `+33612345678` → `+33••••78`: enough for the customer to know which phone, no more. */
export const maskPhone = (phone: string): string => `${phone.slice(0, 3)}••••${phone.slice(-2)}`;
