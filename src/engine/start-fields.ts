import { z } from 'zod';

// BCP 47 language tags, space-separated as OpenID Connect's ui_locales (Core §3.1.2.1).
const localeList = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*( [A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)*$/;

const RETURN_TO_META = 'x-parcours-return-to';

/**
 * The standard fields of a journey's start body, named as OpenID Connect and Kratos name them.
 * A journey picks the ones it wants: `z.strictObject({ login_hint: startFields.loginHint() })`.
 */
export const startFields = {
  /** An identifier the app already knows (an email address), to prefill the first step. */
  loginHint: () => z.string().trim().min(1).max(254),
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
  /** The customer's preferred languages, most preferred first (`fr-CA fr en`). */
  uiLocales: () =>
    z
      .string()
      .trim()
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

/**
 * Whether a return address is allowed: same origin as an allow-list entry, and under its path
 * (Kratos's allowed_return_urls). Entries are absolute URLs (`https://app.example/account`).
 */
export function isAllowedReturnTo(value: string, allowed: readonly string[]): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return allowed.some((entry) => {
    const base = new URL(entry);
    const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    return (
      url.origin === base.origin &&
      (url.pathname === base.pathname || url.pathname.startsWith(prefix) || base.pathname === '/')
    );
  });
}

/**
 * The settings field of a journey started from a session that needs a recent sign-in (OIDC
 * `max_age`; Kratos's privileged session): how old, in seconds, its last authentication may be.
 */
export const maxAgeSetting = (defaultSeconds = 15 * 60) =>
  z.number().int().positive().default(defaultSeconds);
