import * as oidc from 'openid-client';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type BrowserPage,
  callbackServer,
  inlineCode,
  launchChromium,
  openBrowserPage,
  type ServedPage,
  screenshot,
  startHostedStack,
  totpCode,
} from '../support/hosted-browser.js';
import { stepApiClient } from '../support/http.js';
import { relyingPartyOf } from '../support/oidc-flow.js';
import { freshEmail, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

/*
 * The hosted pages in Chromium, against the engine as it runs (API, worker, Temporal, Postgres,
 * SMTP): sign-up in French, sign-in by keyboard alone, an authenticator app, a passkey on a virtual
 * authenticator, and an OpenID Connect client's sign-in, each under the pages' strict CSP.
 */

const ADMIN_KEY = 'hosted-pages-admin-key-0123456789abcdef';
const PASSWORD = 'analytical engine 1843';

let smtp: SmtpSink;
let stack: Awaited<ReturnType<typeof startHostedStack>>;
let browser: Browser;
/** Every browser profile opened: closed at the end, and their pages' headers checked. */
const opened: BrowserPage[] = [];

beforeAll(async () => {
  smtp = await startSmtpSink();
  stack = await startHostedStack({ smtpUrl: smtp.url, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const { context } of opened) await context.close().catch(() => {});
  await browser?.close();
  await stack?.stop();
  await smtp?.close();
}, 120_000);

async function open(locale?: string) {
  const opening = await openBrowserPage(browser, stack.url, locale);
  opened.push(opening);
  return opening;
}

const pages = (path: string) => `${stack.url}/pages${path}`;

/** A journey that acts for the signed-in customer starts from its own page's form, never a link. */
async function startFromItsPage(page: Page, journey: string) {
  await page.waitForSelector(`form[action="/pages/${journey}"]`);
  await page.locator(`form[action="/pages/${journey}"] button[type="submit"]`).click();
}

/** Waits until the browser shows the run's step `name` (a page between steps refreshes itself). */
const atStep = (page: Page, name: string) =>
  page.waitForSelector(`input[name="_step"][value="${name}"]`, {
    state: 'attached',
    timeout: 30_000,
  });

/** The step's form holding these fields (one only: Playwright refuses to act on several). */
const formWith = (page: Page, fields: string[]): Locator =>
  page.locator(`form.step-form${fields.map((name) => `:has([name="${name}"])`).join('')}`);

const submitButton = (form: Locator) => form.locator('button[type="submit"]:not([name])');
const focusedName = (page: Page) => page.locator('*:focus').getAttribute('name');
const heading = (page: Page) => page.locator('h1').textContent();

/** An attribute of every element a locator finds, in document order. */
async function attributeOfAll(locator: Locator, name: string) {
  const values: Array<string | null> = [];
  for (let at = 0; at < (await locator.count()); at += 1)
    values.push(await locator.nth(at).getAttribute(name));
  return values;
}

/** The six digits of the newest mail sent to `email`, and the mail. */
async function mailedCode(email: string) {
  const mail = await smtp.waitFor((message) => message.to.includes(email), 20_000);
  const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in: ${mail.text}`);
  return { mail, code };
}

/** Answers a step's form: its fields filled, its own button pressed, the next page waited for. */
async function answer(page: Page, form: Locator, values: Record<string, string> = {}) {
  for (const [name, value] of Object.entries(values))
    await form.locator(`[name="${name}"]`).fill(value);
  await Promise.all([page.waitForEvent('load'), submitButton(form).click()]);
}

/** Registration through the pages (credentials, the mailed code, the terms), signed in after. */
async function registerThroughPages(page: Page, email = freshEmail('pages')) {
  await page.goto(pages(`/registration?next=${encodeURIComponent('/pages/')}`));
  await atStep(page, 'credentials');
  await answer(page, formWith(page, ['email', 'password']), { email, password: PASSWORD });
  await atStep(page, 'verify-email');
  await answer(page, formWith(page, ['code']), { code: (await mailedCode(email)).code });
  await atStep(page, 'terms');
  await page.locator('input[type="checkbox"][name="accept"]').check();
  await answer(page, formWith(page, ['accept']));
  await page.waitForURL(pages('/'));
  expect(await page.locator('form[action="/pages/sign-out"]').count()).toBe(1);
  return email;
}

/**
 * Says the recovery codes shown are kept: a box to tick where the page draws one (else `saved` is
 * the form's hidden value, and its button says it), then the form's button.
 */
async function keptRecoveryCodes(page: Page) {
  const form = formWith(page, ['saved']);
  const box = form.locator('input[type="checkbox"][name="saved"]');
  if (await box.count()) await box.check();
  await answer(page, form);
}

/** Signs the browser out from the signed-in page, by its own button. */
async function signOut(page: Page) {
  await page.goto(pages('/'));
  await Promise.all([
    page.waitForEvent('load'),
    page.locator('form[action="/pages/sign-out"] button').click(),
  ]);
  expect(await page.locator('form[action="/pages/sign-out"]').count()).toBe(0);
}

/** Signs the browser in with the address and password form of the identify step. */
async function identify(page: Page, email: string) {
  await atStep(page, 'identify');
  await answer(page, formWith(page, ['email', 'password']), { email, password: PASSWORD });
}

/** Whether the page says signed in: its sign-out form is there. */
const signedIn = async (page: Page) =>
  (await page.locator('form[action="/pages/sign-out"]').count()) === 1;

/** A customer made over the step API, never seen by the browser. */
const customerByApi = () => signUp(stepApiClient(stack.apiUrl), smtp, freshEmail('api'), PASSWORD);

it('registers a customer in French: labels, errors tied to their fields, a French mail, signed in after', async () => {
  const { context, page, errors } = await open('fr-FR');
  const email = freshEmail('jeanne');
  await page.goto(pages('/registration?ui_locales=fr'));
  await atStep(page, 'credentials');
  expect(await page.locator('html').getAttribute('lang')).toBe('fr');
  expect(await heading(page)).toBe('Choisissez votre adresse e-mail et votre mot de passe');
  expect(await page.getByLabel('Adresse e-mail').first().getAttribute('name')).toBe('email');
  expect(await page.getByLabel('Mot de passe').first().getAttribute('type')).toBe('password');
  expect(await submitButton(formWith(page, ['email', 'password'])).textContent()).toBe(
    'Créer mon compte',
  );
  await screenshot(page, 'fr-1-credentials');

  // An address without a domain the browser lets through, and a short password: refused by the
  // server, each refusal tied to its field, the first refused field focused.
  const credentials = formWith(page, ['email', 'password']);
  await answer(page, credentials, { email: 'jeanne@exemple', password: 'court' });
  await atStep(page, 'credentials');
  await screenshot(page, 'fr-2-refused');
  const summary = page.locator('div.errors[role="alert"]');
  expect(await summary.isVisible()).toBe(true);
  expect(await summary.locator('h2').textContent()).toBe('Un point demande votre attention');
  const refused = credentials.locator('input[aria-invalid="true"]');
  const refusedNames = await attributeOfAll(refused, 'name');
  expect(refusedNames).toEqual(['email', 'password']);
  for (let at = 0; at < refusedNames.length; at += 1) {
    const describedBy = (await refused.nth(at).getAttribute('aria-describedby')) as string;
    const error = page.locator(`p.field-error[id="${describedBy}"]`);
    expect(await error.isVisible()).toBe(true);
    expect((await error.textContent())?.trim()).not.toBe('');
    // The summary links to the field its message is about.
    const id = await refused.nth(at).getAttribute('id');
    expect(await summary.locator(`a[href="#${id}"]`).count()).toBe(1);
  }
  expect(await focusedName(page)).toBe('email');
  expect(await credentials.locator('input[name="email"]').inputValue()).toBe('jeanne@exemple');
  expect(await credentials.locator('input[name="password"]').inputValue()).toBe('');

  await answer(page, credentials, { email, password: PASSWORD });
  await atStep(page, 'verify-email');
  expect(await heading(page)).toBe('Consultez votre boîte de réception');
  expect(await page.locator('p.note').first().textContent()).toBe(
    `Nous avons envoyé un code à ${email}.`,
  );
  await screenshot(page, 'fr-3-verify-email');
  // The run's token is in a cookie of its own, out of the page's reach (plain http: no __Host-).
  const flowCookie = (await context.cookies()).find((cookie) =>
    cookie.name.startsWith('parcours-flow-'),
  );
  expect(flowCookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
  expect(page.url()).toBe(pages(`/flow/${flowCookie?.name.slice('parcours-flow-'.length)}`));
  const { mail, code } = await mailedCode(email);
  expect(mail.subject).toBe('Votre code de vérification Parcours');
  await answer(page, formWith(page, ['code']), { code });

  await atStep(page, 'terms');
  expect(await heading(page)).toBe('Conditions d’utilisation');
  await page.getByLabel('J’accepte les conditions d’utilisation').check();
  await screenshot(page, 'fr-4-terms');
  await answer(page, formWith(page, ['accept']));
  expect(await heading(page)).toBe('C’est fait');
  await screenshot(page, 'fr-5-done');

  await page.goto(pages('/'));
  expect(await heading(page)).toBe('Vous êtes connecté.');
  expect(await signedIn(page)).toBe(true);
  await screenshot(page, 'fr-6-signed-in');
  const cookies = await context.cookies();
  expect(cookies.find((cookie) => cookie.name === 'parcours-session')).toMatchObject({
    httpOnly: true,
    sameSite: 'Lax',
  });
  // The finished flow's cookie is gone.
  expect(cookies.filter((cookie) => cookie.name.startsWith('parcours-flow-'))).toEqual([]);
  expect(errors).toEqual([]);
}, 120_000);

it('signs a customer in with the keyboard alone: Tab, typing and Enter, no click', async () => {
  const customer = await customerByApi();
  const { page, errors } = await open();
  await page.goto(pages(`/login?next=${encodeURIComponent('/pages/')}`));
  await atStep(page, 'identify');
  expect(await page.locator('html').getAttribute('lang')).toBe('en');
  // The first field has the focus on arrival; Tab goes on in reading order.
  expect(await focusedName(page)).toBe('email');
  // Past the address-only form and its button, to the form that takes the password with it.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  expect(await formWith(page, ['email', 'password']).locator('[name="email"]:focus').count()).toBe(
    1,
  );
  await page.keyboard.type(customer.email);
  await page.keyboard.press('Tab');
  expect(await focusedName(page)).toBe('password');
  await page.keyboard.type(PASSWORD);
  await Promise.all([page.waitForURL(pages('/')), page.keyboard.press('Enter')]);
  expect(await signedIn(page)).toBe(true);
  await screenshot(page, 'keyboard-signed-in');

  // And out again: Tab to the sign-out button, Enter.
  for (let tabs = 0; tabs < 8; tabs += 1) {
    await page.keyboard.press('Tab');
    if ((await page.locator('*:focus').getAttribute('type')) === 'submit') break;
  }
  await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
  expect(await signedIn(page)).toBe(false);
  expect(errors).toEqual([]);
}, 120_000);

it('enrols an authenticator app on the pages after signing in for it, then signs in with the password and a TOTP code from oathtool', async () => {
  const customer = await customerByApi();
  const { page, errors } = await open();
  // Signed out, the enrolment sends the browser through sign-in first, and back.
  await page.goto(pages('/mfa-enrolment'));
  await identify(page, customer.email);
  await startFromItsPage(page, 'mfa-enrolment');
  await atStep(page, 'confirm-totp');
  expect(await page.locator('img.qr').isVisible()).toBe(true);
  const notes = (await page.locator('p.note').allTextContents()).join('\n');
  const secret = /enter this key by hand: ([A-Z2-7]{16,})/.exec(notes)?.[1] as string;
  expect(secret).toBeDefined();
  await screenshot(page, 'totp-1-enrol');
  await answer(page, formWith(page, ['code']), { code: totpCode(secret) });

  // The account's first factor: recovery codes, shown once, kept before going on.
  await atStep(page, 'recovery-codes');
  expect(await page.locator('ul.codes li').count()).toBeGreaterThanOrEqual(8);
  await screenshot(page, 'totp-2-recovery-codes');
  await keptRecoveryCodes(page);
  await page.goto(pages('/'));
  expect(await signedIn(page)).toBe(true);

  await signOut(page);
  await page.goto(pages(`/login?next=${encodeURIComponent('/pages/')}`));
  await identify(page, customer.email);
  await atStep(page, 'totp');
  // Another factor may be chosen instead: one button per factor the account has.
  const choices = await attributeOfAll(page.locator('button[name="_choice"]'), 'value');
  expect(choices).toContain('recovery_code');
  // A wrong code is refused on its field.
  const near = [-30, 0, 30].map((offset) => totpCode(secret, offset));
  const wrong = ['000000', '111111', '222222', '333333'].find((code) => !near.includes(code));
  await answer(page, formWith(page, ['code']), { code: wrong as string });
  await atStep(page, 'totp');
  expect(await page.locator('input[name="code"]').getAttribute('aria-invalid')).toBe('true');
  expect(await focusedName(page)).toBe('code');
  await screenshot(page, 'totp-3-sign-in-refused');
  // The next time step's code: the enrolment's may not be used twice.
  await answer(page, formWith(page, ['code']), { code: totpCode(secret, 30) });
  await page.waitForURL(pages('/'));
  expect(await signedIn(page)).toBe(true);
  expect(errors).toEqual([]);
}, 120_000);

it('enrols a passkey on a virtual authenticator and signs in with it alone', async () => {
  const { context, page, errors } = await open();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await registerThroughPages(page);

  await page.goto(pages(`/mfa-enrolment?factor=passkey&next=${encodeURIComponent('/pages/')}`));
  await startFromItsPage(page, 'mfa-enrolment');
  await atStep(page, 'register-passkey');
  expect(await page.locator('script[src="/pages/assets/webauthn.js"]').count()).toBe(1);
  expect(await page.locator('script#webauthn-options[type="application/json"]').count()).toBe(1);
  await screenshot(page, 'passkey-1-enrol');
  // The page's script asks the authenticator, fills `credential` and sends the form.
  await submitButton(page.locator('form[data-webauthn]')).click();
  await atStep(page, 'recovery-codes');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0]?.isResidentCredential).toBe(true);
  await keptRecoveryCodes(page);
  await page.waitForURL(pages('/'));

  await signOut(page);
  await page.goto(pages(`/login?next=${encodeURIComponent('/pages/')}`));
  await atStep(page, 'identify');
  // "Sign in with a passkey": no address typed, the passkey names its account.
  await answer(page, page.locator('form.step-form:has(input[name="method"][value="passkey"])'));
  await atStep(page, 'passkey-sign-in');
  await screenshot(page, 'passkey-2-sign-in');
  await submitButton(page.locator('form[data-webauthn]')).click();
  await page.waitForURL(pages('/'));
  expect(await signedIn(page)).toBe(true);
  const [used] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  expect(used?.signCount).toBeGreaterThan(credentials[0]?.signCount ?? 0);
  await screenshot(page, 'passkey-3-signed-in');
  expect(errors).toEqual([]);
}, 120_000);

it.each([
  ['fr', 'pour continuer vers La boutique'],
  ['en', 'to continue to La boutique'],
])(
  'signs a customer in for an OpenID Connect client on the pages (ui_locales=%s), code and PKCE, without a CSP violation',
  async (locale, continuing) => {
    const callback = await callbackServer();
    try {
      const clientId = `shop-${locale}`;
      const added = await stepApiClient(stack.apiUrl).call('POST', '/v1/admin/apps', {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
        body: {
          id: clientId,
          name: 'La boutique',
          kind: 'first_party',
          attributes: ['email', 'email_verified'],
          redirect_uris: [callback.redirect],
          scopes: ['openid', 'email'],
          grant_types: ['authorization_code'],
        },
      });
      expect(added.status).toBe(201);
      const issuer = `${stack.url}/oidc`;
      const party = relyingPartyOf(issuer, {
        id: clientId,
        secret: added.body.client_secret,
        redirect: callback.redirect,
      });
      const config = await party.configuration();
      const customer = await customerByApi();
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: callback.redirect,
        scope: 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ui_locales: locale,
      });

      const { page, errors, served } = await open();
      await page.goto(url.href);
      await atStep(page, 'identify');
      expect(await page.locator('html').getAttribute('lang')).toBe(locale);
      expect(await page.locator('p.client').textContent()).toBe(continuing);
      // Forms may post to the client's origin: the flow ends there, through redirects.
      const csp = served.at(-1)?.csp ?? '';
      expect(csp).toContain(`form-action 'self' ${new URL(callback.redirect).origin}`);
      await screenshot(page, `oidc-${locale}-sign-in`);
      await identify(page, customer.email);
      await page.waitForURL((reached) => reached.href.startsWith(callback.redirect));

      const returned = new URL(page.url());
      expect(callback.received).toHaveLength(1);
      expect(returned.searchParams.get('state')).toBe(state);
      expect(returned.searchParams.get('code')).toBeTruthy();
      expect(returned.searchParams.get('iss')).toBe(issuer);
      const tokens = await oidc.authorizationCodeGrant(config, returned, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      });
      expect(tokens.claims()).toMatchObject({ sub: customer.userId, nonce, aud: clientId });
      expect(errors).toEqual([]);
    } finally {
      await callback.close();
    }
  },
  120_000,
);

it('serves every page with the strict CSP and no inline script', async () => {
  const { page, errors } = await open();
  // Pages of every kind besides those the tests above went through: a journey's first step, a
  // page saying signed out, a refusal, an unknown flow.
  await page.goto(pages('/registration'));
  await atStep(page, 'credentials');
  await page.goto(pages('/'));
  await page.goto(pages('/no-such-journey'));
  await page.goto(pages('/flow/00000000-0000-4000-8000-000000000000'));
  // The browser enforces it, and the tests above would have heard of a breach: an inline script
  // put into a page is refused, and said so.
  expect(errors).toEqual([]);
  await page.addScriptTag({ content: 'document.title = "injected"' }).catch(() => {});
  expect(await page.title()).not.toBe('injected');
  expect(errors.some((error) => error.startsWith('CSP violation: script-src'))).toBe(true);

  const all: ServedPage[] = opened.flatMap((opening) => opening.served);
  const paths = new Set(
    all.map((served) => new URL(served.url).pathname.replace(/[\w-]{20,}$/, '{id}')),
  );
  expect([...paths]).toEqual(
    expect.arrayContaining(['/pages/flow/{id}', '/pages/', '/pages/no-such-journey']),
  );
  expect(all.length).toBeGreaterThan(10);
  for (const served of all) {
    const where = `${served.status} ${served.url}`;
    expect(served.csp, where).toBeDefined();
    const directives = (served.csp as string).split(/;\s*/);
    for (const wanted of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ])
      expect(directives, where).toContain(wanted);
    expect(
      directives.find((directive) => directive.startsWith('form-action')),
      where,
    ).toMatch(/^form-action 'self'( http:\/\/localhost:\d+)*$/);
    expect(inlineCode(served.html), where).toEqual([]);
  }
}, 120_000);
