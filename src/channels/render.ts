import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** What a one-time-code message says: the same parameters for every purpose. */
export interface CodeMessageParams {
  code: string;
  expiresInMinutes: number;
  productName: string;
  /** A link that does what the code does, where the journey asked for one (account recovery). */
  link?: string;
}

/** The parameters each message template expects. */
export interface MessageTemplateParams {
  'registration-code': CodeMessageParams;
  'registration-existing-account': {
    productName: string;
    signInUrl?: string;
    recoveryUrl?: string;
  };
  'email-change-code': CodeMessageParams;
  'phone-verification-code': CodeMessageParams;
  'sign-in-code': CodeMessageParams;
  'account-recovery-code': CodeMessageParams;
  'newsletter-code': CodeMessageParams;
  'email-change-address-in-use': { productName: string };
  'email-changed': { productName: string; newAddress: string };
  'recovery-code-used': { productName: string; remaining: number };
  // Security notices to the account's owner (ASVS 5.0 V6.3.7), delivered by the outbox relay.
  'factor-added': { productName: string; factorName: string };
  'factor-removed': { productName: string; factorName: string };
  'passkey-suspended': { productName: string };
  'sign-in-locked': { productName: string; what: string };
  // No link: nothing in it may undo or change anything without signing in.
  'password-reset': { productName: string };
  'factor-reset-scheduled': { productName: string; dueAt: string };
  'factor-reset-reminder': { productName: string; dueAt: string };
  'factor-reset-done': { productName: string };
  // GDPR erasure: asked (with the day it happens), and cancelled by a sign-in.
  'erasure-scheduled': { productName: string; dueAt: string };
  'erasure-cancelled': { productName: string };
}

export type MessageTemplate = keyof MessageTemplateParams;

/** Templates that carry a one-time code (what an OTP policy may name). */
export type CodeTemplate = {
  [K in MessageTemplate]: MessageTemplateParams[K] extends CodeMessageParams ? K : never;
}[MessageTemplate];

/** Templates that need nothing but the product name (notices an OTP or identifier policy may name). */
export type NoticeTemplate = {
  [K in MessageTemplate]: { productName: string } extends MessageTemplateParams[K] ? K : never;
}[MessageTemplate];

/** Templates that tell a previous address it was replaced (by a masked new one). */
export type ChangeNoticeTemplate = {
  [K in MessageTemplate]: MessageTemplateParams[K] extends {
    productName: string;
    newAddress: string;
  }
    ? K
    : never;
}[MessageTemplate];

export type Channel = 'email' | 'sms';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface RenderedSms {
  text: string;
}

export interface RenderedMessage<C extends Channel = Channel> {
  locale: string;
  content: C extends 'email' ? RenderedEmail : RenderedSms;
}

export interface MessageRenderer {
  /**
   * Renders a template for a channel in the first of `locales` it exists in (`fr-CA`, then `fr`),
   * else in the default locale.
   */
  render<C extends Channel, N extends MessageTemplate>(
    channel: C,
    name: N,
    params: MessageTemplateParams[N],
    locales?: readonly string[],
  ): RenderedMessage<C>;
}

export const DEFAULT_LOCALE = 'en';

type Compiled = {
  email?: Record<keyof RenderedEmail, Handlebars.TemplateDelegate>;
  sms?: Handlebars.TemplateDelegate;
};

const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

/** `fr-CA` → [`fr-CA`, `fr`]: a regional preference falls back to its language. */
const candidates = (locales: readonly string[]) =>
  [...new Set(locales.flatMap((locale) => [locale, locale.split('-')[0] as string]))].map(
    (locale) => locale.toLowerCase(),
  );

/**
 * Compiles every `<templatesDir>/<name>/<locale>/` once: `subject.hbs`, `text.hbs` and `html.hbs`
 * make its email; `sms.hbs` its text message (`layout.html.hbs` at the root is the HTML layout
 * partial). Strict mode: a missing parameter throws rather than sending a message with a hole in
 * it. Only the HTML part is HTML-escaped.
 */
export function createMessageRenderer(templatesDir = DEFAULT_TEMPLATES_DIR): MessageRenderer {
  // An isolated Handlebars environment, so partials never leak between renderers.
  const handlebars = Handlebars.create();
  handlebars.registerPartial('layout', readFileSync(join(templatesDir, 'layout.html.hbs'), 'utf8'));
  const templates = new Map<string, Compiled>();
  const subdirectories = (dir: string) =>
    readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  for (const template of subdirectories(templatesDir)) {
    for (const locale of subdirectories(join(templatesDir, template.name))) {
      const dir = join(templatesDir, template.name, locale.name);
      const has = (file: string) => existsSync(join(dir, file));
      // Parsing now makes a syntax error fail at startup, not at the first send.
      const compile = (file: string, options: CompileOptions) =>
        handlebars.compile(handlebars.parse(readFileSync(join(dir, file), 'utf8')), options);
      const text = { strict: true, noEscape: true };
      templates.set(`${template.name}/${locale.name.toLowerCase()}`, {
        ...(has('subject.hbs')
          ? {
              email: {
                subject: compile('subject.hbs', text),
                text: compile('text.hbs', text),
                html: compile('html.hbs', { strict: true }),
              },
            }
          : {}),
        ...(has('sms.hbs') ? { sms: compile('sms.hbs', text) } : {}),
      });
    }
  }

  return {
    render(channel, name, params, locales = []) {
      const locale = [...candidates(locales), DEFAULT_LOCALE].find(
        (candidate) => templates.get(`${name}/${candidate}`)?.[channel],
      );
      const compiled = locale && templates.get(`${name}/${locale}`);
      if (!compiled) throw new Error(`unknown ${channel} template '${name}' (in ${templatesDir})`);
      const data = { ...params, locale };
      if (channel === 'sms') {
        const sms = compiled.sms as Handlebars.TemplateDelegate;
        return { locale, content: { text: sms(data).trim() } } as RenderedMessage<typeof channel>;
      }
      const email = compiled.email as NonNullable<Compiled['email']>;
      return {
        locale,
        content: {
          // One line: a parameter can never smuggle in another header.
          subject: email.subject(data).replace(/\s+/g, ' ').trim(),
          text: email.text(data),
          html: email.html(data),
        },
      } as RenderedMessage<typeof channel>;
    },
  };
}

type CompileOptions = Parameters<typeof Handlebars.compile>[1];
