import { z } from 'zod';
import { clientId } from '../apps/client-id.js';

// BCP 47 language tags, space-separated as OpenID Connect's ui_locales (Core §3.1.2.1).
const localeList = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*( [A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)*$/;

const RETURN_TO_META = 'x-parcours-return-to';

/**
 * The standard fields of a journey's start body, named as OpenID Connect and Kratos name them.
 * A journey picks the ones it wants: `z.strictObject({ login_hint: startFields.loginHint() })`.
 */
export const startFields = {
  /**
   * An identifier the app already knows (an email address), to prefill the first step. Taken as
   * given, not trimmed: the published schema says what is accepted, and it cannot say "trimmed".
   */
  loginHint: () => z.string().min(1).max(254),
  /**
   * Where the app sends the customer when the journey ends. The step API refuses any address
   * outside the deployment's allow-list (RETURN_TO_ALLOWED), so the journey cannot become an open
   * redirect (ASVS 5.1.5).
   */
  returnTo: () =>
    z
      .string()
      .max(2048)
      .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
        message: 'Give an absolute http(s) URL',
      })
      .meta({ [RETURN_TO_META]: true }),
  /** A registered app's client id (OAuth 2.0, RFC 6749 §2.2), as the operator named it. */
  clientId,
  /** The customer's preferred languages, most preferred first (`fr-CA fr en`). */
  uiLocales: () =>
    z
      .string()
      .max(128)
      .regex(localeList, 'Give space-separated language tags (BCP 47)')
      .transform((value) => value.split(' ')),
};

const unwrapped = (field: z.ZodType): z.ZodType =>
  field instanceof z.ZodOptional || field instanceof z.ZodDefault
    ? unwrapped(field.unwrap() as z.ZodType)
    : field;

/** The fields of a start schema that carry a return address, checked against the allow-list. */
export function returnToFieldsOf(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => unwrapped(field as z.ZodType).meta()?.[RETURN_TO_META] === true)
    .map(([name]) => name);
}

// A path segment: RFC 3986 pchars but `%` (no encoded dot or slash) and never starting with `.`
// (no dot segment), so the path a browser goes to is the path read here. Query and fragment do
// not move the target: any of their characters but `#` and spaces.
const SEGMENT = "[A-Za-z0-9_~!$&'()*+,;=:@-][A-Za-z0-9._~!$&'()*+,;=:@-]*";
const SUBPATH = `(?:${SEGMENT}(?:/${SEGMENT})*/?)?`;
const QUERY = "[A-Za-z0-9._~!$&'()*+,;=:@/?%-]*";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The addresses one allow-list entry admits: its origin, and its path or any below it. */
function entryPattern(entry: string): string {
  const base = new URL(entry);
  const path =
    base.pathname === '/'
      ? `(?:/${SUBPATH})?`
      : base.pathname.endsWith('/')
        ? `${escapeRegExp(base.pathname)}${SUBPATH}`
        : `${escapeRegExp(base.pathname)}(?:/${SUBPATH})?`;
  return `${escapeRegExp(base.origin)}${path}`;
}

/**
 * The return addresses an allow-list admits, as one regular expression (none without entries): the
 * same origin as an entry, and under its path (Kratos's allowed_return_urls). The step API checks
 * it and the OpenAPI document publishes it, so both say the same. Entries are absolute URLs.
 */
export function returnToPattern(allowed: readonly string[]): string | undefined {
  if (!allowed.length) return undefined;
  return `^(?:${allowed.map(entryPattern).join('|')})(?:\\?${QUERY})?(?:#${QUERY})?$`;
}

/** Whether a return address is allowed (returnToPattern: no open redirect, ASVS 5.1.5). */
export function isAllowedReturnTo(value: string, allowed: readonly string[]): boolean {
  const pattern = returnToPattern(allowed);
  return pattern !== undefined && new RegExp(pattern).test(value);
}

/**
 * The settings field of a journey started from a session that needs a recent sign-in (OIDC
 * `max_age`; Kratos's privileged session): how old, in seconds, its last authentication may be.
 */
export const maxAgeSetting = (defaultSeconds = 15 * 60) =>
  z.number().int().positive().default(defaultSeconds);
