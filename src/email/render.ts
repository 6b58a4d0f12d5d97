import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** The parameters each email template expects. */
export interface EmailTemplateParams {
  'registration-code': { code: string; expiresInMinutes: number; productName: string };
  'registration-existing-account': {
    productName: string;
    signInUrl?: string;
    recoveryUrl?: string;
  };
}

export type EmailTemplateName = keyof EmailTemplateParams;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface EmailRenderer {
  render<N extends EmailTemplateName>(name: N, params: EmailTemplateParams[N]): RenderedEmail;
}

type Compiled = Record<keyof RenderedEmail, Handlebars.TemplateDelegate>;

const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

/**
 * Compiles every `<templatesDir>/<name>/{subject,text,html}.hbs` once (`layout.html.hbs` at the
 * root is the HTML layout partial). Strict mode: a missing parameter throws rather than sending
 * an email with a hole in it. Only the HTML part is HTML-escaped.
 */
export function createEmailRenderer(templatesDir = DEFAULT_TEMPLATES_DIR): EmailRenderer {
  // An isolated Handlebars environment, so partials never leak between renderers.
  const handlebars = Handlebars.create();
  handlebars.registerPartial('layout', readFileSync(join(templatesDir, 'layout.html.hbs'), 'utf8'));
  const templates = new Map<string, Compiled>();
  for (const entry of readdirSync(templatesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    // Parsing now makes a syntax error fail at startup, not at the first send.
    const parse = (part: keyof RenderedEmail) =>
      handlebars.parse(readFileSync(join(templatesDir, entry.name, `${part}.hbs`), 'utf8'));
    templates.set(entry.name, {
      subject: handlebars.compile(parse('subject'), { strict: true, noEscape: true }),
      text: handlebars.compile(parse('text'), { strict: true, noEscape: true }),
      html: handlebars.compile(parse('html'), { strict: true }),
    });
  }

  return {
    render(name, params) {
      const template = templates.get(name);
      if (!template) throw new Error(`unknown email template '${name}' (in ${templatesDir})`);
      return {
        // One line: a parameter can never smuggle in another header.
        subject: template.subject(params).replace(/\s+/g, ' ').trim(),
        text: template.text(params),
        html: template.html(params),
      };
    },
  };
}
