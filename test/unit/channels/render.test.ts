import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMessageRenderer, type MessageTemplate } from '../../../src/channels/render.js';

const renderer = createMessageRenderer();
/** The email a template renders to, in English unless other locales are asked for. */
function renderEmail<N extends MessageTemplate>(
  name: N,
  params: Parameters<typeof renderer.render<'email', N>>[2],
  locales?: string[],
) {
  return renderer.render('email', name, params, locales).content;
}

describe('registration-code email', () => {
  const email = renderEmail('registration-code', {
    code: '042917',
    expiresInMinutes: 10,
    productName: 'Parcours',
  });

  it('carries the code and its lifetime in text and HTML, not in the subject', () => {
    expect(email.subject).toBe('Your Parcours verification code');
    for (const body of [email.text, email.html]) {
      expect(body).toContain('042917');
      expect(body).toContain('10 minutes');
    }
  });

  it('tells a customer who did not ask to ignore it', () => {
    expect(email.text).toMatch(/did not try to sign up for Parcours, ignore this email/);
  });
});

describe('registration-existing-account email', () => {
  it('says the address already has an account, without any code, and says to ignore it if it was not you', () => {
    const email = renderEmail('registration-existing-account', { productName: 'Parcours' });
    expect(email.subject).toBe('Someone tried to sign up for Parcours with your email address');
    expect(email.text).toContain('already has an account');
    expect(email.text).toContain("If it wasn't you, ignore this email.");
    expect(email.text).not.toMatch(/\d{6}/);
    expect(email.text).not.toContain('sign in instead');
    expect(email.text).not.toMatch(/\n\n\n/);
  });

  it('links to sign-in and recovery when given', () => {
    const email = renderEmail('registration-existing-account', {
      productName: 'Parcours',
      signInUrl: 'https://id.example.com/login?a=1&b=2',
      recoveryUrl: 'https://id.example.com/recover',
    });
    expect(email.text).toContain('https://id.example.com/login?a=1&b=2');
    expect(email.text).toContain('https://id.example.com/recover');
    expect(email.html).toContain('href="https://id.example.com/login?a&#x3D;1&amp;b&#x3D;2"');
  });
});

describe('createMessageRenderer', () => {
  it('escapes parameters in HTML only', () => {
    const email = renderEmail('registration-code', {
      code: '1',
      expiresInMinutes: 5,
      productName: '<b>Acme</b> & Co',
    });
    expect(email.html).toContain('&lt;b&gt;Acme&lt;/b&gt; &amp; Co');
    expect(email.html).not.toContain('<b>Acme');
    expect(email.text).toContain('<b>Acme</b> & Co');
  });

  it('throws on a missing parameter rather than sending a hole', () => {
    expect(() =>
      renderEmail('registration-code', { code: '1', productName: 'Parcours' } as unknown as {
        code: string;
        expiresInMinutes: number;
        productName: string;
      }),
    ).toThrow(/expiresInMinutes/);
  });

  it('keeps the subject on one line, so no parameter can add a header', () => {
    const email = renderEmail('registration-existing-account', {
      productName: 'Acme\r\nBcc: victim@example.com',
    });
    expect(email.subject).toBe(
      'Someone tried to sign up for Acme Bcc: victim@example.com with your email address',
    );
  });

  it('refuses an unknown template', () => {
    expect(() => renderEmail('nope' as MessageTemplate, { productName: 'x' })).toThrow(
      "unknown email template 'nope'",
    );
  });

  it('fails at creation, not at first send, on a template syntax error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parcours-templates-'));
    try {
      await writeFile(join(dir, 'layout.html.hbs'), '{{> @partial-block}}');
      await mkdir(join(dir, 'broken', 'en'), { recursive: true });
      await writeFile(join(dir, 'broken', 'en', 'subject.hbs'), 'Hi {{name');
      await writeFile(join(dir, 'broken', 'en', 'text.hbs'), 'x');
      await writeFile(join(dir, 'broken', 'en', 'html.hbs'), 'x');
      expect(() => createMessageRenderer(dir)).toThrow(/Parse error/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('templates per purpose and locale', () => {
  const params = { code: '042917', expiresInMinutes: 10, productName: 'Parcours' };

  it("picks the customer's first language that has the template: region, then language", () => {
    expect(renderer.render('email', 'registration-code', params, ['fr-CA', 'en']).locale).toBe(
      'fr',
    );
    expect(renderer.render('email', 'registration-code', params, ['de', 'fr']).locale).toBe('fr');
  });

  it('falls back to English when no asked language has the template', () => {
    const rendered = renderer.render('email', 'registration-code', params, ['de-AT', 'ja']);
    expect(rendered.locale).toBe('en');
    expect(rendered.content.subject).toBe('Your Parcours verification code');
  });

  it('marks the HTML with the language it is written in', () => {
    expect(renderEmail('registration-code', params, ['fr']).html).toContain('<html lang="fr">');
    expect(renderEmail('registration-code', params).html).toContain('<html lang="en">');
  });

  it('says what changed in the notice to a previous address, without a code', () => {
    const notice = renderEmail('email-changed', {
      productName: 'Parcours',
      newAddress: 'a***@example.com',
    });
    expect(notice.subject).toBe('Your Parcours email address was changed');
    expect(notice.text).toContain('a***@example.com');
    expect(notice.text).not.toMatch(/\d{6}/);
  });

  it('renders a text message from sms.hbs, and refuses a channel a template lacks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parcours-templates-'));
    try {
      await writeFile(join(dir, 'layout.html.hbs'), '{{> @partial-block}}');
      await mkdir(join(dir, 'registration-code', 'en'), { recursive: true });
      await writeFile(
        join(dir, 'registration-code', 'en', 'sms.hbs'),
        '{{code}} is your {{productName}} code\n',
      );
      const sms = createMessageRenderer(dir);
      expect(sms.render('sms', 'registration-code', params).content).toEqual({
        text: '042917 is your Parcours code',
      });
      expect(() => sms.render('email', 'registration-code', params)).toThrow(
        "unknown email template 'registration-code'",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
