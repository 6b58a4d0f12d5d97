import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmailRenderer, type EmailTemplateName } from '../../../src/email/render.js';

const renderer = createEmailRenderer();

describe('registration-code email', () => {
  const email = renderer.render('registration-code', {
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
    const email = renderer.render('registration-existing-account', { productName: 'Parcours' });
    expect(email.subject).toBe('Someone tried to sign up for Parcours with your email address');
    expect(email.text).toContain('already has an account');
    expect(email.text).toContain("If it wasn't you, ignore this email.");
    expect(email.text).not.toMatch(/\d{6}/);
    expect(email.text).not.toContain('sign in instead');
    expect(email.text).not.toMatch(/\n\n\n/);
  });

  it('links to sign-in and recovery when given', () => {
    const email = renderer.render('registration-existing-account', {
      productName: 'Parcours',
      signInUrl: 'https://id.example.com/login?a=1&b=2',
      recoveryUrl: 'https://id.example.com/recover',
    });
    expect(email.text).toContain('https://id.example.com/login?a=1&b=2');
    expect(email.text).toContain('https://id.example.com/recover');
    expect(email.html).toContain('href="https://id.example.com/login?a&#x3D;1&amp;b&#x3D;2"');
  });
});

describe('createEmailRenderer', () => {
  it('escapes parameters in HTML only', () => {
    const email = renderer.render('registration-code', {
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
      renderer.render('registration-code', { code: '1', productName: 'Parcours' } as unknown as {
        code: string;
        expiresInMinutes: number;
        productName: string;
      }),
    ).toThrow(/expiresInMinutes/);
  });

  it('keeps the subject on one line, so no parameter can add a header', () => {
    const email = renderer.render('registration-existing-account', {
      productName: 'Acme\r\nBcc: victim@example.com',
    });
    expect(email.subject).toBe(
      'Someone tried to sign up for Acme Bcc: victim@example.com with your email address',
    );
  });

  it('refuses an unknown template', () => {
    expect(() => renderer.render('nope' as EmailTemplateName, { productName: 'x' })).toThrow(
      "unknown email template 'nope'",
    );
  });

  it('fails at creation, not at first send, on a template syntax error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parcours-templates-'));
    try {
      await writeFile(join(dir, 'layout.html.hbs'), '{{> @partial-block}}');
      await mkdir(join(dir, 'broken'));
      await writeFile(join(dir, 'broken', 'subject.hbs'), 'Hi {{name');
      await writeFile(join(dir, 'broken', 'text.hbs'), 'x');
      await writeFile(join(dir, 'broken', 'html.hbs'), 'x');
      expect(() => createEmailRenderer(dir)).toThrow(/Parse error/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
