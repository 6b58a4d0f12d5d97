import { PAGE_LOCALES, type PageLocale } from './messages.js';

const supported = (tag: string): PageLocale | undefined => {
  const language = tag.trim().toLowerCase().split('-')[0];
  return PAGE_LOCALES.find((locale) => locale === language);
};

/** `Accept-Language` (RFC 9110 §12.5.4), best quality first; `*` and unknown tags ignored. */
function acceptedLanguages(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
      return { tag: tag.trim(), q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.tag && entry.tag !== '*' && entry.q > 0 && !Number.isNaN(entry.q))
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.tag);
}

/**
 * The page's language, as OpenID Connect and Keycloak choose it: the client's `ui_locales` first,
 * then the customer's stored `locale`, then the browser's `Accept-Language`, then English.
 */
export function pageLocale(choices: {
  uiLocales?: readonly string[];
  stored?: string | undefined;
  acceptLanguage?: string | undefined;
}): PageLocale {
  for (const tag of [
    ...(choices.uiLocales ?? []),
    ...(choices.stored ? [choices.stored] : []),
    ...acceptedLanguages(choices.acceptLanguage),
  ]) {
    const locale = supported(tag);
    if (locale) return locale;
  }
  return PAGE_LOCALES[0];
}
