import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  isAllowedReturnTo,
  returnToFieldsOf,
  returnToPattern,
  startFields,
} from '../../src/journey-kit/start-fields.js';
import { unmetRequirement } from '../../src/sessions/session-requirement.js';

describe('start fields', () => {
  const schema = z.strictObject({
    login_hint: startFields.loginHint().optional(),
    return_to: startFields.returnTo().optional(),
    ui_locales: startFields.uiLocales().optional(),
  });

  it('parses the standard fields as OIDC names them, ui_locales as a list', () => {
    expect(
      schema.parse({
        login_hint: 'ada@example.test',
        return_to: 'https://app.example/account',
        ui_locales: 'fr-CA fr en',
      }),
    ).toEqual({
      login_hint: 'ada@example.test',
      return_to: 'https://app.example/account',
      ui_locales: ['fr-CA', 'fr', 'en'],
    });
  });

  it('refuses a return address that is not an absolute http(s) URL, and bad locale lists', () => {
    for (const return_to of [
      '/account',
      'javascript:alert(1)',
      'data:text/html,x',
      'ftp://a.example/',
    ])
      expect(schema.safeParse({ return_to }).success, return_to).toBe(false);
    // Surrounding spaces are refused, not trimmed: the published pattern refuses them too.
    for (const ui_locales of ['fr,en', 'fr  en', '<script>', '', ' fr', 'fr '])
      expect(schema.safeParse({ ui_locales }).success, ui_locales).toBe(false);
  });

  it('finds the return-address fields of a start schema, optional or not', () => {
    expect(returnToFieldsOf(schema)).toEqual(['return_to']);
    expect(returnToFieldsOf(z.strictObject({ next: startFields.returnTo() }))).toEqual(['next']);
  });
});

describe('return_to allow-list (no open redirect: ASVS 5.1.5)', () => {
  const allowed = ['https://app.example/account', 'https://shop.example/'];

  it('allows the same origin under an allowed path', () => {
    for (const url of [
      'https://app.example/account',
      'https://app.example/account/email?x=1',
      'https://shop.example/cart',
    ])
      expect(isAllowedReturnTo(url, allowed), url).toBe(true);
  });

  it('refuses other origins, sibling paths and look-alikes', () => {
    for (const url of [
      'https://evil.example/account',
      'http://app.example/account',
      'https://app.example:8443/account',
      'https://app.example/accounts-evil',
      'https://app.example/',
      'https://app.example/account/../admin',
      'https://app.example.evil.example/account',
      'https://app.example@evil.example/account',
      'not a url',
    ])
      expect(isAllowedReturnTo(url, allowed), url).toBe(false);
  });

  it('refuses everything when nothing is allowed', () => {
    expect(isAllowedReturnTo('https://app.example/account', [])).toBe(false);
    expect(returnToPattern([])).toBeUndefined();
  });

  it('refuses what a browser would resolve elsewhere: dot segments, encoded or not, and look-alike spellings', () => {
    for (const url of [
      'https://app.example/account/./email',
      'https://app.example/account/%2e%2e/admin',
      'https://app.example/account/%2F..%2Fadmin',
      'https://app.example/account\\..\\admin',
      'https://APP.example/account',
      'https://app.example:443/account',
      'https://app.example/account/a b',
      'https://app.example/account#a#b',
    ])
      expect(isAllowedReturnTo(url, allowed), url).toBe(false);
  });

  it('takes an entry with a trailing slash as the paths below it only', () => {
    const below = ['https://app.example/account/'];
    expect(isAllowedReturnTo('https://app.example/account/', below)).toBe(true);
    expect(isAllowedReturnTo('https://app.example/account/email', below)).toBe(true);
    expect(isAllowedReturnTo('https://app.example/account', below)).toBe(false);
  });

  it('publishes as a pattern exactly what it allows, in a form JSON Schema takes (anchored, no flags)', () => {
    const pattern = returnToPattern(allowed) as string;
    expect(pattern.startsWith('^') && pattern.endsWith('$')).toBe(true);
    for (const url of [
      'https://shop.example',
      'https://shop.example/?q=1#top',
      'https://evil.example/',
    ])
      expect(new RegExp(pattern).test(url), url).toBe(isAllowedReturnTo(url, allowed));
  });
});

describe('session requirements (OIDC max_age, least aal)', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const session = (aal: number, minutesAgo: number) => ({
    aal,
    authTime: new Date(now.getTime() - minutesAgo * 60_000).toISOString(),
  });

  it('is met by a recent enough session at the level asked', () => {
    expect(unmetRequirement(session(1, 4), { maxAgeSeconds: 300 }, now)).toBeUndefined();
    expect(unmetRequirement(session(2, 60), { aal: 2 }, now)).toBeUndefined();
    expect(unmetRequirement(session(1, 600), {}, now)).toBeUndefined();
  });

  it('names the requirement a session falls short of', () => {
    expect(unmetRequirement(session(1, 6), { maxAgeSeconds: 300 }, now)).toEqual({
      code: 'reauthentication_required',
      requirement: { max_age: 300 },
    });
    expect(unmetRequirement(session(1, 1), { aal: 2, maxAgeSeconds: 300 }, now)).toEqual({
      code: 'stronger_authentication_required',
      requirement: { aal: 2 },
    });
  });
});
