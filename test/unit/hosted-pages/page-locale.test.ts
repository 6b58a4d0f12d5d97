import { describe, expect, it } from 'vitest';
import { pageLocale } from '../../../src/http/hosted-pages/page-locale.js';

describe('the hosted pages’ language', () => {
  it('is the client’s ui_locales first, its first language the pages speak', () => {
    expect(
      pageLocale({ uiLocales: ['de', 'fr-CA', 'en'], stored: 'en', acceptLanguage: 'en' }),
    ).toBe('fr');
  });

  it('is the customer’s stored locale when the client names none the pages speak', () => {
    expect(pageLocale({ uiLocales: ['de'], stored: 'fr-FR', acceptLanguage: 'en-GB' })).toBe('fr');
  });

  it('is the browser’s Accept-Language by quality, not by order, without the others', () => {
    expect(pageLocale({ acceptLanguage: 'en;q=0.4, fr-BE;q=0.9, *;q=1' })).toBe('fr');
    expect(pageLocale({ acceptLanguage: 'fr;q=0, en' })).toBe('en');
  });

  it('is English when nothing names a language the pages speak', () => {
    expect(pageLocale({ acceptLanguage: 'de-DE, ja;q=0.8' })).toBe('en');
    expect(pageLocale({ acceptLanguage: 'garbage;;q=x' })).toBe('en');
  });
});
