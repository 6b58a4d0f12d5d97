import { resolve } from 'node:path';
import { z } from 'zod';
import { parseAuthority } from '../http/host-allow-list.js';
import { isLoopback, isProxyAddress } from '../http/network-addresses.js';
import { socialProviderSchema, socialProvidersOf } from '../social/social-providers.js';

const optionalUrl = z
  .string()
  .trim()
  .transform((value) => value || undefined)
  .pipe(z.url().optional())
  .optional();

/** A comma-separated list: trimmed entries, empty ones dropped. */
const commaList = (value: string) =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  // The API's public base URL: requests must name its host (the Host allow-list).
  PARCOURS_PUBLIC_URL: z
    .string()
    .trim()
    .optional()
    .transform((value) => value || undefined)
    .pipe(
      z
        .url({ protocol: /^https?$/, error: 'an absolute http(s) URL' })
        .refine((value) => {
          const url = URL.canParse(value) ? new URL(value) : undefined;
          return !url?.username && !url?.password && !url?.search && !url?.hash;
        }, 'a base URL, without credentials, query or fragment')
        .optional(),
    ),
  // More names the API answers to (host:port, or host on any port): a deployment with several.
  ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const entries = commaList(value);
      const bad = entries.filter((entry) => !parseAuthority(entry));
      if (bad.length === 0) return entries.map((entry) => entry.toLowerCase());
      ctx.addIssue({
        code: 'custom',
        message: `host names or host:port, comma-separated (not: ${bad.join(', ')})`,
      });
      return z.NEVER;
    }),
  PARCOURS_DATA_DIR: z.string().default('./.parcours'),
  DATABASE_URL: optionalUrl,
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .optional()
    .transform((value) => value || undefined),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('parcours-journeys'),
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(0).max(65535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(0).max(65535).default(8233),
  SMTP_URL: optionalUrl,
  MAIL_FROM: z.string().default('Parcours <no-reply@parcours.localhost>'),
  TWILIO_ACCOUNT_SID: z
    .string()
    .trim()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'an account SID (AC followed by 32 hex digits)')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().trim().min(1).optional(),
  TWILIO_FROM: z
    .string()
    .trim()
    .regex(/^\+[1-9][0-9]{6,14}$/, 'an E.164 phone number (+15551234567)')
    .optional(),
  TWILIO_MESSAGING_SERVICE_SID: z
    .string()
    .trim()
    .regex(/^MG[0-9a-fA-F]{32}$/, 'a Messaging Service SID (MG followed by 32 hex digits)')
    .optional(),
  TWILIO_API_URL: optionalUrl,
  PARCOURS_KEYS: z
    .string()
    .trim()
    .optional()
    .transform((value) => value || undefined),
  PARCOURS_DEV_OUTBOX: z.enum(['true', 'false']).optional(),
  PARCOURS_DEV_OUTBOX_ANY_HOST: z.enum(['true', 'false']).default('false'),
  // The OpenID Connect provider's calls out (back-channel logout) refuse private and loopback
  // addresses (SSRF); `true` lets them reach this machine and its network, for tests only.
  OIDC_FETCH_PRIVATE_ADDRESSES: z.enum(['true', 'false']).default('false'),
  // Upstream OpenID Connect providers for social login: a JSON array (src/social/social-providers.ts).
  SOCIAL_PROVIDERS: z
    .string()
    .default('[]')
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'a JSON array of providers' });
        return z.NEVER;
      }
    })
    .pipe(z.array(socialProviderSchema)),
  // Tests only: lets calls to social providers reach http and private addresses (their fake).
  SOCIAL_FETCH_PRIVATE_ADDRESSES: z.enum(['true', 'false']).default('false'),
  // Temporal's remote codec for operators: the key they send, and the UI origins that may call.
  PARCOURS_CODEC_KEY: z.string().trim().min(32, 'at least 32 characters').optional(),
  PARCOURS_ADMIN_KEY: z.string().trim().min(32, 'at least 32 characters').optional(),
  // Encoding forges what a run reads: off unless given its own key, never the viewing one.
  PARCOURS_CODEC_ENCODE_KEY: z.string().trim().min(32, 'at least 32 characters').optional(),
  CODEC_CORS_ORIGINS: z
    .string()
    .optional()
    .transform((value) => (value === undefined ? undefined : commaList(value)))
    .pipe(z.array(z.url({ protocol: /^https?$/ })).optional()),
  PARCOURS_PRODUCT_NAME: z.string().default('Parcours'),
  // The hosted pages' look: a logo (an https URL, or a path on this server) and two colours.
  PARCOURS_BRAND_LOGO_URL: z
    .string()
    .trim()
    .optional()
    .transform((value) => value || undefined)
    .pipe(
      z
        .string()
        .regex(
          /^(https:\/\/[^\s"'<>]+|\/[A-Za-z0-9._~/-]+)$/,
          'an https URL, or a path on this server',
        )
        .optional(),
    ),
  PARCOURS_BRAND_COLOR: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb')
    .default('#1d4ed8'),
  PARCOURS_BRAND_BACKGROUND: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb')
    .default('#f6f7f9'),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .default(24 * 14),
  // A session unused this long ends (ASVS 5.0 V7.3.1); Auth0's default inactivity timeout.
  SESSION_IDLE_HOURS: z.coerce.number().positive().default(72),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(120),
  // How often the API starts the runs opened at their first step and never submitted, once that
  // step timed out (they end abandoned there): the most an abandonment is recorded late.
  PENDING_RUN_SWEEP_MS: z.coerce.number().int().min(100).default(5_000),
  RATE_LIMIT_READS_PER_MINUTE: z.coerce.number().int().positive().default(600),
  // `true` would take the client's address from the leftmost X-Forwarded-For entry, which the
  // client writes itself: it could pick its own rate-limit bucket. Trust named hops only.
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, ctx) => {
      const trimmed = value.trim();
      if (trimmed === 'false' || trimmed === '') return false as const;
      if (/^[1-9][0-9]?$/.test(trimmed)) return Number(trimmed);
      const entries = trimmed.split(',').map((entry) => entry.trim());
      const bad = entries.filter((entry) => !isProxyAddress(entry));
      if (bad.length === 0) return entries;
      ctx.addIssue({
        code: 'custom',
        message:
          trimmed === 'true'
            ? 'true would trust any X-Forwarded-For a client writes: give the number of proxy hops, or the proxies (addresses or CIDRs)'
            : `false, a number of proxy hops, or proxy addresses or CIDRs (not: ${bad.join(', ')})`,
      });
      return z.NEVER;
    }),
  RETURN_TO_ALLOWED: z
    .string()
    .default('')
    .transform(commaList)
    .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  WORKFLOW_STACK_TRACES: z.enum(['on', 'off']).default('off'),
  // Runs a worker keeps in memory between their steps (docs/configuration.md: what each costs).
  WORKER_CACHED_RUNS: z.coerce.number().int().min(2).default(2_000),
  CODES_PER_RECIPIENT_PER_HOUR: z.coerce.number().int().positive().default(10),
  CODES_PER_REQUESTER_PER_HOUR: z.coerce.number().int().positive().default(5),
  // SMS pumping defences (docs/configuration.md): the countries text messages may go to (ISO
  // 3166-1 alpha-2; none by default), and limits that each answer 429 and send nothing.
  SMS_COUNTRIES: z
    .string()
    .default('')
    .transform(commaList)
    .pipe(z.array(z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country codes (FR,DE)'))),
  SMS_PER_NUMBER_PER_HOUR: z.coerce.number().int().positive().default(3),
  SMS_PER_PREFIX_PER_HOUR: z.coerce.number().int().positive().default(10),
  SMS_PER_COUNTRY_PER_HOUR: z.coerce.number().int().positive().default(200),
  SMS_PER_REQUESTER_PER_HOUR: z.coerce.number().int().positive().default(5),
  SMS_DAILY_BUDGET: z.coerce.number().int().positive().default(1_000),
  // WebAuthn (passkeys): the relying party's id (a registrable domain the origins are on) and the
  // origins pages call navigator.credentials from.
  WEBAUTHN_RP_ID: z
    .string()
    .trim()
    .regex(/^[a-z0-9.-]+$/, 'a domain name, without scheme or port')
    .default('localhost'),
  WEBAUTHN_RP_NAME: z.string().trim().min(1).optional(),
  WEBAUTHN_ORIGINS: z
    .string()
    .optional()
    .transform((value) => (value === undefined ? undefined : commaList(value)))
    .pipe(z.array(z.url({ protocol: /^https?$/ })).optional()),
  BREACHED_PASSWORDS_URL: z
    .string()
    .trim()
    .optional()
    .transform((value) => value || undefined)
    .pipe(z.union([z.literal('off'), z.url({ protocol: /^https?$/ })]).optional()),
  BREACHED_PASSWORDS_TIMEOUT_MS: z.coerce.number().int().positive().max(10_000).default(1500),
  SIGN_IN_FAILURES_PER_REQUESTER_PER_HOUR: z.coerce.number().int().positive().default(20),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = ReturnType<typeof loadConfig>;

/**
 * Checks across variables: the dev outbox stays on this machine; an API listening beyond it is
 * told its public names; the encode key is a key of its own; Twilio is all or nothing.
 */
const checkedConfig = configSchema.superRefine((values, ctx) => {
  // The dev outbox shows live codes. It answers loopback clients only; an API listening beyond
  // this machine with it on is a mistake unless someone says otherwise in so many words.
  if (
    values.PARCOURS_DEV_OUTBOX === 'true' &&
    !isLoopback(values.HOST) &&
    values.PARCOURS_DEV_OUTBOX_ANY_HOST !== 'true'
  )
    ctx.addIssue({
      code: 'custom',
      path: ['PARCOURS_DEV_OUTBOX'],
      message: `the dev outbox shows codes and HOST=${values.HOST} is not loopback: turn it off, or set PARCOURS_DEV_OUTBOX_ANY_HOST=true`,
    });
  // Beyond loopback, no Host is served unless named: every request would be refused 421.
  if (
    !isLoopback(values.HOST) &&
    !values.PARCOURS_PUBLIC_URL &&
    values.ALLOWED_HOSTS.length === 0 &&
    !values.WEBAUTHN_ORIGINS?.length
  )
    ctx.addIssue({
      code: 'custom',
      path: ['PARCOURS_PUBLIC_URL'],
      message: `HOST=${values.HOST} listens beyond this machine: give the URL clients reach the API at (or ALLOWED_HOSTS), or every request is refused as misdirected`,
    });
  const ids = values.SOCIAL_PROVIDERS.map((provider) => provider.id);
  if (new Set(ids).size !== ids.length)
    ctx.addIssue({
      code: 'custom',
      path: ['SOCIAL_PROVIDERS'],
      message: 'two providers share an id',
    });
  if (
    values.SOCIAL_PROVIDERS.some((provider) => !provider.redirect_uri) &&
    !values.PARCOURS_PUBLIC_URL
  )
    ctx.addIssue({
      code: 'custom',
      path: ['SOCIAL_PROVIDERS'],
      message: 'give each provider its redirect_uri, or PARCOURS_PUBLIC_URL to build them on',
    });
  const encodeKey = values.PARCOURS_CODEC_ENCODE_KEY;
  if (
    encodeKey &&
    (encodeKey === values.PARCOURS_CODEC_KEY || encodeKey === values.PARCOURS_ADMIN_KEY)
  )
    ctx.addIssue({
      code: 'custom',
      path: ['PARCOURS_CODEC_ENCODE_KEY'],
      message: 'must be a key of its own, not PARCOURS_CODEC_KEY or PARCOURS_ADMIN_KEY',
    });
  if (encodeKey && !values.PARCOURS_CODEC_KEY && values.DATABASE_URL)
    ctx.addIssue({
      code: 'custom',
      path: ['PARCOURS_CODEC_ENCODE_KEY'],
      message: 'needs PARCOURS_CODEC_KEY: without it the codec is not served',
    });
  // Twilio: an account, its token, and a number or Messaging Service to send from.
  if (!values.TWILIO_ACCOUNT_SID && !values.TWILIO_AUTH_TOKEN) return;
  if (!values.TWILIO_ACCOUNT_SID)
    ctx.addIssue({
      code: 'custom',
      path: ['TWILIO_ACCOUNT_SID'],
      message: 'needed with TWILIO_AUTH_TOKEN',
    });
  if (!values.TWILIO_AUTH_TOKEN)
    ctx.addIssue({
      code: 'custom',
      path: ['TWILIO_AUTH_TOKEN'],
      message: 'needed with TWILIO_ACCOUNT_SID',
    });
  if (!values.TWILIO_FROM && !values.TWILIO_MESSAGING_SERVICE_SID)
    ctx.addIssue({
      code: 'custom',
      path: ['TWILIO_FROM'],
      message: 'give TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID to send text messages from',
    });
});

/** Configuration from the environment, validated at start with a message naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = checkedConfig.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const values = parsed.data;
  const embeddedDatabase = !values.DATABASE_URL;
  return {
    ...values,
    dataDir: resolve(values.PARCOURS_DATA_DIR),
    socialProviders: socialProvidersOf(values.SOCIAL_PROVIDERS, values.PARCOURS_PUBLIC_URL),
    // Served over https: the hosted pages' cookies take `__Host-` and `Secure` (page-security.ts).
    secureCookies: values.PARCOURS_PUBLIC_URL?.startsWith('https:') ?? false,
    embeddedDatabase,
    embeddedTemporal: !values.TEMPORAL_ADDRESS,
    // The dev outbox shows codes: by default only in embedded mode, where no mail is really sent,
    // and only while the API listens on loopback. A deployment opts in explicitly, if ever.
    devOutbox: values.PARCOURS_DEV_OUTBOX
      ? values.PARCOURS_DEV_OUTBOX === 'true'
      : embeddedDatabase && !values.SMTP_URL && isLoopback(values.HOST),
    sessionTtlMs: values.SESSION_TTL_HOURS * 3_600_000,
    sessionIdleMs: values.SESSION_IDLE_HOURS * 3_600_000,
    webauthn: {
      rpId: values.WEBAUTHN_RP_ID,
      rpName: values.WEBAUTHN_RP_NAME ?? values.PARCOURS_PRODUCT_NAME,
      origins: values.WEBAUTHN_ORIGINS ?? [`http://localhost:${values.PORT}`],
    },
    // New passwords are checked against breach corpora (k-anonymity range API) outside embedded
    // mode, which needs no network; `off` turns it off.
    breachedPasswords: (() => {
      const url =
        values.BREACHED_PASSWORDS_URL ??
        (embeddedDatabase ? 'off' : 'https://api.pwnedpasswords.com');
      return url === 'off' ? undefined : { url, timeoutMs: values.BREACHED_PASSWORDS_TIMEOUT_MS };
    })(),
    // Who the API answers, by the host a request names: its public names, and on loopback the
    // loopback names (on the port it listens on; the middleware reads it from the socket).
    allowedHosts: {
      urls: [
        ...(values.PARCOURS_PUBLIC_URL ? [values.PARCOURS_PUBLIC_URL] : []),
        ...(values.WEBAUTHN_ORIGINS ?? []),
      ],
      hosts: values.ALLOWED_HOSTS,
      loopback: isLoopback(values.HOST),
    },
    // The codec and analytics answer only their keys. In embedded mode they are served with the
    // operator key generated into the data folder where no key is given (operator-keys.ts).
    codec:
      values.PARCOURS_CODEC_KEY || embeddedDatabase
        ? {
            decodeKey: values.PARCOURS_CODEC_KEY,
            ...(values.PARCOURS_CODEC_ENCODE_KEY
              ? { encodeKey: values.PARCOURS_CODEC_ENCODE_KEY }
              : {}),
            corsOrigins: values.CODEC_CORS_ORIGINS ?? [
              `http://127.0.0.1:${values.TEMPORAL_UI_PORT}`,
              `http://localhost:${values.TEMPORAL_UI_PORT}`,
            ],
          }
        : undefined,
    analytics:
      values.PARCOURS_ADMIN_KEY || embeddedDatabase
        ? { adminKey: values.PARCOURS_ADMIN_KEY }
        : undefined,
    twilio:
      values.TWILIO_ACCOUNT_SID && values.TWILIO_AUTH_TOKEN
        ? {
            accountSid: values.TWILIO_ACCOUNT_SID,
            authToken: values.TWILIO_AUTH_TOKEN,
            ...(values.TWILIO_FROM ? { from: values.TWILIO_FROM } : {}),
            ...(values.TWILIO_MESSAGING_SERVICE_SID
              ? { messagingServiceSid: values.TWILIO_MESSAGING_SERVICE_SID }
              : {}),
            ...(values.TWILIO_API_URL ? { apiUrl: values.TWILIO_API_URL } : {}),
          }
        : undefined,
  };
}
