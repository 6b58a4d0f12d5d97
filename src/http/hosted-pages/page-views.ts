import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { type ErrorCode, errorSpec, isErrorCode } from '../../errors/catalogue.js';
import { jsonInScript } from '../dashboard.js';
import type { FieldError } from '../problem.js';
import type { PublicView } from '../public-view.js';
import { fieldNameOf } from './form-input.js';
import { PAGE_LOCALES, type PageLocale, type Translate } from './messages.js';
import { type StepField, type StepForm, stepForms } from './step-forms.js';

/** The product's look on its pages, by setting (PARCOURS_PRODUCT_NAME, PARCOURS_BRAND_*). */
export interface Brand {
  name: string;
  logo?: string | undefined;
  color: string;
  background: string;
}

/** What every page knows of where it is drawn. */
export interface PageContext {
  t: Translate;
  locale: PageLocale;
  brand: Brand;
  /** The page's own address, for the language links (`ui_locales` set to each). */
  path: string;
}

const LANGUAGE_NAMES: Record<PageLocale, string> = { en: 'English', fr: 'Français' };

/**
 * The pages, compiled once at start (a template error fails there), in strict mode: a missing value
 * throws rather than rendering a hole. Everything is HTML-escaped; the passkey options go through
 * `jsonInScript`, the escaping a JSON block needs.
 */
export function compilePageTemplates() {
  const handlebars = Handlebars.create();
  const read = (file: string) =>
    readFileSync(new URL(`./templates/${file}`, import.meta.url), 'utf8');
  handlebars.registerPartial('layout', read('layout.hbs'));
  handlebars.registerHelper('t', (key: string, options: Handlebars.HelperOptions) =>
    (options.data.root as { t: Translate }).t(key, options.hash),
  );
  const compile = (file: string) => handlebars.compile(read(file), { strict: false });
  return {
    step: compile('step.hbs'),
    message: compile('message.hbs'),
    grant: compile('grant.hbs'),
    start: compile('start.hbs'),
  };
}

/** The language links of a page: the same address with `ui_locales` set to each. */
function languages(context: PageContext) {
  return PAGE_LOCALES.map((code) => {
    const url = new URL(context.path, 'http://page.invalid');
    url.searchParams.set('ui_locales', code);
    return {
      code,
      name: LANGUAGE_NAMES[code],
      current: code === context.locale,
      href: `${url.pathname}${url.search}`,
    };
  });
}

export const pageChrome = (context: PageContext) => ({
  t: context.t,
  locale: context.locale,
  brand: context.brand,
  languages: languages(context),
});

/**
 * An error's words for the customer: the catalogue's, in the page's language, when the code may be
 * shown; else the generic one of its kind.
 */
export function errorMessage(t: Translate, code: string | undefined): string {
  const known: ErrorCode = code && isErrorCode(code) ? code : 'invalid_input';
  return errorSpec(known).shown ? t(`error.${known}`) : t('error.invalid_input');
}

/** A link-only alternative (`link`) is answered by the link's own page (/continue), never typed. */
const typed = (form: StepForm) => !form.fields.some((field) => field.key === 'link');

const CODE_AUTOCOMPLETE = 'one-time-code';

/** How a text-like field is drawn: its input type, autocomplete and keyboard. */
function inputOf(field: StepField, newPassword: boolean) {
  switch (field.kind) {
    case 'email':
      return { type: 'email', autocomplete: 'email' };
    case 'password':
      return { type: 'password', autocomplete: newPassword ? 'new-password' : 'current-password' };
    case 'tel':
      return { type: 'tel', autocomplete: 'tel' };
    case 'code':
      return { type: 'text', autocomplete: CODE_AUTOCOMPLETE, inputmode: 'numeric' };
    case 'number':
      return { type: 'number' };
    default:
      return { type: 'text', ...(field.key.endsWith('name') ? { autocomplete: field.key } : {}) };
  }
}

/** What the step shows beside its forms, from its data: where a code went, a key to scan, codes. */
function stepNotes(t: Translate, data: Record<string, unknown>) {
  const notes: string[] = [];
  const address = data.email ?? data.phone;
  if (data.codeLength !== undefined && typeof address === 'string')
    notes.push(t('page.sent_to', { address }));
  if (typeof data.attemptsLeft === 'number' && data.attemptsLeft < 3)
    notes.push(t('page.attempts_left', { count: data.attemptsLeft }));
  if (typeof data.otpauthUri === 'string') notes.push(t('page.totp.scan'));
  if (typeof data.secret === 'string') notes.push(t('page.totp.secret', { secret: data.secret }));
  if (Array.isArray(data.codes)) notes.push(t('page.recovery_codes'));
  if (typeof data.provider === 'string' && typeof data.email === 'string')
    notes.push(t('page.social_link', { email: data.email }));
  const links = [
    ...(typeof data.url === 'string' ? [{ href: data.url, label: t('page.terms') }] : []),
    ...(Array.isArray(data.policies) ? data.policies : [])
      .filter((policy): policy is { name?: string; policy: string; url?: string } =>
        Boolean(policy && typeof policy.url === 'string'),
      )
      .map((policy) => ({
        href: policy.url as string,
        label: t('page.policy', { name: policy.name ?? policy.policy }),
      })),
  ]
    .filter((link) => /^https?:\/\//.test(link.href) || link.href.startsWith('/'))
    // A document opens beside the form, which keeps what was typed.
    .map((link) => ({ ...link, external: true }));
  return {
    notes,
    links,
    ...(typeof data.qrCode === 'string' && data.qrCode.startsWith('data:image/png;base64,')
      ? { qrCode: data.qrCode }
      : {}),
    ...(Array.isArray(data.codes) ? { codes: data.codes.map(String) } : {}),
  };
}

/**
 * A step's page: its forms drawn from its schema, each field labelled in the page's language, each
 * refusal tied to its field (`aria-describedby`) and listed at the top, the first refused field
 * focused; what was typed comes back, but never a password or a code.
 */
export function stepPage(
  context: PageContext,
  view: PublicView,
  options: {
    action: string;
    csrf: string;
    errors?: FieldError[];
    sent?: Record<string, unknown>;
    client?: string;
    /** Ways on from this step the journey does not draw (creating an account from sign-in). */
    links?: Array<{ href: string; label: string }>;
  },
) {
  const { t } = context;
  const step = view.step as NonNullable<PublicView['step']>;
  const data = step.data ?? {};
  const errors = options.errors ?? [];
  const errorOf = new Map<string, string>();
  for (const error of errors) {
    const name = fieldNameOf(error.path);
    if (!errorOf.has(name)) errorOf.set(name, errorMessage(t, error.code));
  }
  const forms = stepForms(step.schema, data).filter(typed);
  const newPassword = data.passwordPolicy !== undefined;
  let focused = false;
  const drawn = forms.map((form, index) => {
    const fields = form.fields.map((field) => {
      const id = `f${index}-${field.name.replaceAll('.', '-')}`;
      const error = errorOf.get(field.name);
      const sent = options.sent?.[field.name];
      const secret = field.kind === 'password' || field.kind === 'code';
      const autofocus =
        !focused && field.kind !== 'hidden' && (errors.length ? Boolean(error) : index === 0);
      if (autofocus) focused = true;
      const labelKey = `field.${field.key}`;
      return {
        ...field,
        ...inputOf(field, newPassword),
        id,
        [field.kind]: true,
        label: t.has(labelKey) ? t(labelKey) : (field.description ?? field.key),
        ...(error ? { error } : {}),
        autofocus,
        value: field.kind === 'hidden' || secret || typeof sent !== 'string' ? field.value : sent,
        checked: sent === 'true',
        options: (field.options ?? []).map((option) => ({
          value: option,
          label: t(`option.${field.key}.${option}`),
          selected: sent === option,
        })),
      };
    });
    const choices = form.fields.some((field) => field.kind === 'choices');
    return {
      index,
      fields,
      webauthn: form.fields.some((field) => field.kind === 'credential'),
      // A step may word its button its own way (`action.credentials.email+password`: create).
      button: choices
        ? undefined
        : t(
            t.has(`action.${step.name}.${form.action}`)
              ? `action.${step.name}.${form.action}`
              : `action.${form.action}`,
          ),
      secondary: index > 0,
    };
  });
  const webauthn = drawn.some((form) => form.webauthn);
  const notes = stepNotes(t, data);
  const summary = errors.map((error) => {
    const name = fieldNameOf(error.path);
    const field = drawn
      .flatMap((form) => form.fields)
      .find((candidate) => candidate.name === name && candidate.kind !== 'hidden');
    return { message: errorMessage(t, error.code), ...(field ? { target: field.id } : {}) };
  });
  return {
    ...pageChrome(context),
    title: t(`step.${step.name}`),
    step: step.name,
    action: options.action,
    csrf: options.csrf,
    forms: drawn,
    ...(options.client ? { client: options.client } : {}),
    ...(summary.length ? { errorSummary: summary } : {}),
    ...notes,
    links: [...notes.links, ...(options.links ?? [])],
    webauthn,
    ...(webauthn && data.options ? { webauthnOptions: jsonInScript(data.options) } : {}),
  };
}
