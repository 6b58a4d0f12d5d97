import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journeyDefinitions } from '../../journeys/index.js';
import { loadCatalogues } from '../../src/http/hosted-pages/messages.js';
import { browserJar } from '../support/browser-jar.js';
import { codeIn, stepApiClient } from '../support/http.js';
import {
  followPages,
  formsOf,
  HTML,
  heading,
  type PageForm,
  pagesOf,
} from '../support/page-forms.js';
import { freshEmail } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'hosted-pages-operator-key-0123456789abcdef';
const REDIRECT = 'https://shop.example.test/callback';
const PASSWORD = 'analytical engine 1843';

/*
 * The hosted pages over HTTP, as a browser without JavaScript sees them: forms posted, redirects
 * followed, cookies kept. (test/e2e/hosted-pages.browser.test.ts drives them in Chromium.)
 */
describe('the hosted pages', () => {
  let smtp: SmtpSink;
  let stack: Stack;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  const { open, post } = pagesOf(() => stack.url);

  /** Registers through the pages, in `locale`; answers the browser, signed in. */
  async function register(email: string, locale: 'en' | 'fr', jar = browserJar()) {
    const credentials = await open(jar, `/pages/registration?ui_locales=${locale}`);
    const verify = await post(jar, credentials.forms[0] as PageForm, { email, password: PASSWORD });
    const mail = await smtp.waitFor((message) => message.to.includes(email));
    const terms = await post(jar, verify.forms[0] as PageForm, { code: codeIn(mail.text) });
    const done = await post(jar, terms.forms[0] as PageForm, { accept: 'true' });
    return { jar, credentials, verify, mail, terms, done };
  }

  it('register a customer in French with plain forms: French pages and mail, signed in at the end', async () => {
    const email = freshEmail('fr');
    const { jar, credentials, verify, mail, terms, done } = await register(email, 'fr');
    expect(credentials.html).toContain('<html lang="fr">');
    expect(heading(credentials.html)).toBe('Choisissez votre adresse e-mail et votre mot de passe');
    expect(heading(verify.html)).toBe('Consultez votre boîte de réception');
    expect(verify.html).toContain(`Nous avons envoyé un code à ${email}.`);
    expect(mail.subject).toMatch(/Votre code/);
    expect(heading(terms.html)).toBe('Conditions d’utilisation');
    expect(heading(done.html)).toBe('C’est fait');
    expect([...jar.cookies.keys()]).toContain('parcours-session');
    const home = await open(jar, '/pages/?ui_locales=fr');
    expect(heading(home.html)).toBe('Vous êtes connecté.');
  });

  it('tie each refusal to its field, keep what was typed but the password, and focus the first refused field', async () => {
    const jar = browserJar();
    const page = await open(jar, '/pages/registration?ui_locales=en');
    const refused = await post(jar, page.forms[0] as PageForm, {
      email: 'not-an-address',
      password: 'short',
    });
    expect(refused.response.status).toBe(422);
    expect(refused.html).toContain('role="alert"');
    expect(refused.html).toMatch(
      /<input id="f0-email" name="email" type="email"[^>]*value="not-an-address"[^>]*aria-invalid="true" aria-describedby="f0-email-error" autofocus>/,
    );
    expect(refused.html).toMatch(/<p class="field-error" id="f0-email-error">[^<]+<\/p>/);
    expect(refused.html).toMatch(/<input id="f0-password"[^>]*aria-invalid="true"/);
    expect(refused.html).not.toContain('value="short"');
    expect(refused.html.match(/autofocus/g)).toHaveLength(1);
  });

  // ASVS 5.0 V3.5.1: a form is taken only with the token its own flow's page gave it.
  it('refuse a form without its flow’s CSRF token, or with another flow’s, and leave the run where it was', async () => {
    const jar = browserJar();
    const first = await open(jar, '/pages/registration');
    const second = await open(jar, '/pages/registration');
    const [form, other] = [first.forms[0] as PageForm, second.forms[0] as PageForm];
    const email = freshEmail('csrf');
    for (const csrf of ['', 'A'.repeat(43), other.values._csrf as string]) {
      const refused = await post(
        jar,
        { ...form, values: { ...form.values, _csrf: csrf } },
        {
          email,
          password: PASSWORD,
        },
      );
      expect(refused.response.status).toBe(403);
      expect(heading(refused.html)).toBe('This page cannot go on');
    }
    // Nothing reached the run: no code was sent, and it still asks for credentials.
    const still = await open(jar, form.action);
    expect(still.html).toContain('name="_step" value="credentials"');
    expect(smtp.messages.some((message) => message.to.includes(email))).toBe(false);
  });

  it('reach no run from a form posted without the flow’s cookie (another site, another browser)', async () => {
    const page = await open(browserJar(), '/pages/registration');
    const elsewhere = await post(browserJar(), page.forms[0] as PageForm, {
      email: freshEmail('elsewhere'),
      password: PASSWORD,
    });
    expect(elsewhere.response.status).toBe(404);
  });

  // ASVS 5.0 V3.5.1: a link is a GET any site can make the browser follow, with the session's cookie.
  it('start nothing for the signed-in customer from a link: erasure starts only from its page’s form', async () => {
    const { jar } = await register(freshEmail('erasure'), 'en');
    const linked = await open(jar, '/pages/erasure');
    expect(heading(linked.html)).toBe('Delete your account');
    const before = await stack.prisma.user.count({ where: { status: { not: 'active' } } });
    const startForm = linked.forms[0] as PageForm;
    const forged = await post(jar, { ...startForm, values: { ...startForm.values, _csrf: '' } });
    expect(forged.response.status).toBe(403);
    expect(await stack.prisma.user.count({ where: { status: { not: 'active' } } })).toBe(before);
    const confirmed = await post(jar, startForm);
    expect(confirmed.response.status).toBe(200);
    expect(await stack.prisma.user.count({ where: { status: { not: 'active' } } })).toBe(
      before + 1,
    );
  });

  it('serve every page under a strict CSP: own scripts only, no framing, forms posted here', async () => {
    const page = await open(browserJar(), '/pages/login');
    const csp = page.response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/form-action 'self'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(page.response.headers.get('cache-control')).toBe('no-store');
    // No inline script: every script is a file of this server or a JSON block.
    for (const [tag] of page.html.matchAll(/<script[^>]*>/g))
      expect(tag).toMatch(/src="\/pages\/assets\/|type="application\/json"/);
  });

  it('send a browser without a session to sign in first, and back to the journey it asked', async () => {
    const jar = browserJar();
    const answer = await jar.fetch(`${stack.url}/pages/mfa-enrolment?ui_locales=fr`, {
      headers: HTML,
    });
    expect(answer.status).toBe(303);
    const to = new URL(answer.headers.get('location') as string, stack.url);
    expect(to.pathname).toBe('/pages/login');
    expect(to.searchParams.get('next')).toBe('/pages/mfa-enrolment?ui_locales=fr');
  });

  /**
   * The start query each journey needs beyond the language: the factor a removal or a
   * reinstatement acts on (none such here: the page that says so is drawn all the same), the app
   * whose policy profiling asks.
   */
  const START_QUERY: Record<string, string> = {
    'factor-removal': 'factor=recovery_code',
    'passkey-reinstatement': 'factor=none',
    'progressive-profiling': 'client_id=hosted-web&moment=checkout',
  };

  it.each(['fr', 'en'] as const)(
    'draw the first page of every journey in %s, signed in where it needs to be',
    async (locale) => {
      const api = stepApiClient(stack.url);
      await api.call('POST', '/v1/admin/apps', {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
        body: {
          id: 'hosted-web',
          name: 'Web',
          kind: 'first_party',
          attributes: ['given_name'],
          profiling: { questions: [{ attribute: 'given_name', moment: 'checkout' }] },
        },
      });
      const words = loadCatalogues()[locale];
      const { jar } = await register(freshEmail(`every-${locale}`), locale);
      const latest = [...new Set(journeyDefinitions.map((definition) => definition.id))];
      for (const journey of latest) {
        const query = [`ui_locales=${locale}`, START_QUERY[journey]].filter(Boolean).join('&');
        const linked = await open(jar, `/pages/${journey}?${query}`);
        // A journey acting for the customer starts from its own page's form (a link starts nothing).
        const startForm = linked.forms.find((form) => form.action === `/pages/${journey}`);
        const page = startForm ? await post(jar, startForm) : linked;
        expect(page.response.status, journey).toBeLessThan(500);
        expect(page.html, journey).toContain(`<html lang="${locale}">`);
        const title = heading(page.html) ?? '';
        const step = page.html.match(/name="_step" value="([^"]+)"/)?.[1];
        // A step's page is headed by the step, in the page's language; any other by its own words.
        expect(title, journey).toBe(step ? words[`step.${step}`] : title);
        expect(Object.values(words), journey).toContain(title);
      }
    },
  );

  it('ask what the app’s profiling policy wants inside the provider’s sign-in, before the app gets its code', async () => {
    const api = stepApiClient(stack.url);
    const REDIRECT_PROFILED = 'https://profiled.example.test/callback';
    const added = await api.call('POST', '/v1/admin/apps', {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      body: {
        id: 'profiled-shop',
        name: 'The profiled shop',
        kind: 'first_party',
        attributes: ['email', 'given_name'],
        redirect_uris: [REDIRECT_PROFILED],
        scopes: ['openid', 'email'],
        grant_types: ['authorization_code'],
        profiling: { questions: [{ attribute: 'given_name', at_sign_in: 1 }] },
      },
    });
    expect(added.status).toBe(201);
    const email = freshEmail('profiled');
    await register(email, 'en');
    const config = await oidc.discovery(
      new URL(`${stack.url}/oidc`),
      'profiled-shop',
      undefined,
      oidc.ClientSecretBasic(added.body.client_secret),
      { execute: [oidc.allowInsecureRequests] },
    );
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_PROFILED,
      scope: 'openid email',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: oidc.randomState(),
    });
    const jar = browserJar();
    const login = await open(jar, url.href);
    const signIn = login.forms.find((form) => form.values._form === '1') as PageForm;
    // Signed in: progressive-profiling@1 comes next, inside the interaction.
    const profile = await post(jar, signIn, { email, password: PASSWORD });
    expect(profile.html).toContain('name="_step" value="profile"');
    expect(profile.html).toContain('name="answers.given_name"');
    const answered = profile.forms.find((form) => form.values._form === '0') as PageForm;
    const response = await jar.fetch(new URL(answered.action, stack.url).href, {
      method: 'POST',
      headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...answered.values, 'answers.given_name': 'Ada' }).toString(),
    });
    const callback = await followPages(
      jar,
      new URL(response.headers.get('location') as string, stack.url).href,
      REDIRECT_PROFILED,
    );
    expect(callback.url.startsWith(`${REDIRECT_PROFILED}?code=`)).toBe(true);
    const user = await stack.prisma.identifier.findFirstOrThrow({ where: { value: email } });
    const given = await stack.prisma.profileValue.findFirst({
      where: { userId: user.userId, attribute: 'given_name' },
    });
    expect(given?.value).toBe('Ada');
  });

  it('sign a customer in to an app through the provider: the interaction page leads through login@1 and back with a code', async () => {
    const api = stepApiClient(stack.url);
    const added = await api.call('POST', '/v1/admin/apps', {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      body: {
        id: 'hosted-shop',
        name: 'The hosted shop',
        kind: 'first_party',
        attributes: ['email', 'email_verified'],
        redirect_uris: [REDIRECT],
        scopes: ['openid', 'email'],
        grant_types: ['authorization_code'],
      },
    });
    expect(added.status).toBe(201);
    const email = freshEmail('sso');
    await register(email, 'en');

    const config = await oidc.discovery(
      new URL(`${stack.url}/oidc`),
      'hosted-shop',
      undefined,
      oidc.ClientSecretBasic(added.body.client_secret),
      { execute: [oidc.allowInsecureRequests] },
    );
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      login_hint: email,
      ui_locales: 'fr',
    });
    // A fresh browser: the provider sends it to its interaction, which sends it to the login page.
    const jar = browserJar();
    const reached = await followPages(jar, url.href);
    expect(reached.url).toMatch(/\/pages\/flow\/jrn_/);
    const identify = await (reached.response as Response).text();
    expect(identify).toContain('pour continuer vers The hosted shop');
    // The login hint is the address to start with; the password form signs in.
    const signIn = formsOf(identify).find((form) => form.values._form === '1') as PageForm;
    const response = await jar.fetch(new URL(signIn.action, stack.url).href, {
      method: 'POST',
      headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...signIn.values, email, password: PASSWORD }).toString(),
    });
    const callback = await followPages(
      jar,
      new URL(response.headers.get('location') as string, stack.url).href,
      REDIRECT,
    );
    expect(callback.url.startsWith(REDIRECT)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const subject = tokens.claims()?.sub as string;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, subject);
    expect(userinfo.email).toBe(email);

    // Signed in already: the next request goes straight back to the app (single sign-on)...
    const again = () =>
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid email',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        state: oidc.randomState(),
      }).href;
    expect((await followPages(jar, again(), REDIRECT)).url.startsWith(REDIRECT)).toBe(true);
    // ...until the customer signs out of Parcours: then the provider signs no one in on it.
    const home = await open(jar, '/pages/');
    const signOut = formsOf(home.html).find((form) => form.action === '/pages/sign-out');
    const out = await post(jar, signOut as PageForm);
    expect(heading(out.html)).toBe('You are signed out.');
    const afterSignOut = await followPages(jar, again(), REDIRECT);
    expect(afterSignOut.url).toMatch(/\/pages\/flow\/jrn_/);
  });
});
