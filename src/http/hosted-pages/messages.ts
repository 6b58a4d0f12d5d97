import { readFileSync } from 'node:fs';
import { errorCatalogue } from '../../errors/catalogue.js';

/** The languages the hosted pages speak; the first is the default. */
export const PAGE_LOCALES = ['en', 'fr'] as const;
export type PageLocale = (typeof PAGE_LOCALES)[number];

const read = (file: string): Record<string, string> =>
  JSON.parse(readFileSync(new URL(`./messages/${file}`, import.meta.url), 'utf8'));

/**
 * Every text of the pages per locale: the locale's file, and the error catalogue's messages a
 * customer may be shown (`error.<code>`). English errors are the catalogue's own words, so an error
 * has one English text; French ones are kept in errors.fr.json.
 */
export function loadCatalogues(): Record<PageLocale, Record<string, string>> {
  const shown = Object.entries(errorCatalogue).filter(([, spec]) => spec.shown);
  const frErrors = read('errors.fr.json');
  const prefixed = (entries: [string, string][]) =>
    Object.fromEntries(entries.map(([code, message]) => [`error.${code}`, message]));
  return {
    en: { ...read('en.json'), ...prefixed(shown.map(([code, spec]) => [code, spec.message])) },
    fr: {
      ...read('fr.json'),
      ...prefixed(Object.entries(frErrors).filter(([code]) => code in errorCatalogue)),
    },
  };
}

export type Translate = ((key: string, params?: Record<string, unknown>) => string) & {
  /** Whether the locale's catalogue has this key (a custom attribute's label may not). */
  has: (key: string) => boolean;
};

/**
 * Looks a key up in one locale, `{name}` filled from `params`. A key the catalogue lacks falls back
 * to `fallback` (a purpose's own name), else to English, else to the key: the page still reads,
 * and the catalogue test names the gap.
 */
export function translator(
  catalogues: Record<PageLocale, Record<string, string>>,
  locale: PageLocale,
): Translate {
  const translate = (key: string, params: Record<string, unknown> = {}) => {
    const text = catalogues[locale][key] ?? catalogues.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in params ? String(params[name]) : whole,
    );
  };
  return Object.assign(translate, { has: (key: string) => key in catalogues[locale] });
}
