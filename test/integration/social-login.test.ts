import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/security/password-hash.js';
import { browserJar } from '../support/browser-jar.js';
import { type FakeProvider, startFakeProvider } from '../support/fake-provider.js';
import { stepApiClient } from '../support/http.js';
import type { Browser } from '../support/oidc-flow.js';
import { followPages, freePort, heading, type PageForm, pagesOf } from '../support/page-forms.js';
import { enrolTotp, nextCode } from '../support/sign-in.js';
import { freshEmail, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'social-login-operator-key-0123456789abcdef';
const REFUSED = /^(This page cannot go on|This page has expired)$/;

/*
 * Social login (social-login@1) through the hosted pages, against a fake upstream provider playing
 * Google (a second oidc-provider): what the provider proves is linked by issuer and subject, an
 * address links an account only when both sides verified it and the provider is trusted for that
 * (the pre-hijacked account attack), and a provider's answer reaches only the browser that asked.
 */
describe('social login through the hosted pages', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let google: FakeProvider;
  let gitlab: FakeProvider;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const client = (id: string) => ({
      clientId: `parcours-${id}`,
      clientSecret: `${id}-client-secret-0123456789`,
      redirectUri: `${base}/pages/social/${id}/callback`,
    });
    google = await startFakeProvider(client('google'));
    gitlab = await startFakeProvider(client('gitlab'));
    const entry = (id: string, name: string, fake: FakeProvider, trusted: boolean) => ({
      id,
      name,
      issuer: fake.issuer,
      client_id: client(id).clientId,
      client_secret: client(id).clientSecret,
      link_verified_email: trusted,
    });
    stack = await startStack({
      port,
      smtpUrl: smtp.url,
      env: {
        PARCOURS_PUBLIC_URL: base,
        PARCOURS_ADMIN_KEY: ADMIN_KEY,
        SOCIAL_FETCH_PRIVATE_ADDRESSES: 'true',
        SOCIAL_PROVIDERS: JSON.stringify([
          entry('google', 'Google', google, true),
          entry('gitlab', 'GitLab', gitlab, false),
        ]),
      },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await google?.close();
    await gitlab?.close();
    await smtp?.close();
  });

  const fakes = () => ({ google, gitlab });
  const api = () => stepApiClient(stack.url);

  const { open, post } = pagesOf(() => stack.url);

  /**
   * Continues with `provider` from the pages, signs in there as `subject`, and stops where the
   * provider sends the browser back: answers that callback URL, not yet fetched.
   */
  async function toCallback(provider: 'google' | 'gitlab', subject: string, jar = browserJar()) {
    fakes()[provider].signInAs(subject);
    const callback = `${stack.url}/pages/social/${provider}/callback`;
    const reached = await followPages(
      jar,
      `${stack.url}/pages/social-login?provider=${provider}`,
      callback,
    );
    expect(reached.url.startsWith(callback), 'the provider sent the browser back').toBe(true);
    return { jar, callback: reached.url };
  }

  /** A whole sign-in with `provider` as `subject`: the page the browser ends on. */
  async function signInWith(provider: 'google' | 'gitlab', subject: string, jar = browserJar()) {
    const { callback } = await toCallback(provider, subject, jar);
    return { jar, callback, page: await open(jar, callback) };
  }

  /** An account of the fake named after a fresh address, saying what it says of that address. */
  function upstreamAccount(fake: FakeProvider, email: string, verified: boolean | string) {
    const subject = `sub-${Math.random().toString(36).slice(2, 12)}`;
    fake.accounts.set(subject, { email, email_verified: verified });
    return subject;
  }

  const signedIn = async (jar: Browser) => heading((await open(jar, '/pages/')).html);
  const sessionsOf = (userId: string) =>
    stack.prisma.session.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });

  it('signs up a new customer with the address Google verified, linked by issuer and subject, and signs the same account in again', async () => {
    const email = freshEmail('google-new');
    const subject = upstreamAccount(google, email, true);
    const { jar, page } = await signInWith('google', subject);
    expect(heading(page.html)).toBe('All done');
    expect(jar.cookies.has('parcours-session')).toBe(true);
    expect(await signedIn(jar)).toBe('You are signed in.');

    const identifier = await stack.prisma.identifier.findUniqueOrThrow({
      where: { type_value: { type: 'email', value: email } },
    });
    expect(identifier.verifiedAt).not.toBeNull();
    const links = await stack.prisma.linkedIdentity.findMany({ where: { subject } });
    expect(links).toEqual([
      expect.objectContaining({
        userId: identifier.userId,
        issuer: google.issuer,
        subject,
        provider: 'google',
      }),
    ]);

    const again = await signInWith('google', subject);
    expect(heading(again.page.html)).toBe('All done');
    expect(await signedIn(again.jar)).toBe('You are signed in.');
    expect(await stack.prisma.identifier.count({ where: { value: email } })).toBe(1);
    const sessions = await sessionsOf(identifier.userId);
    expect(sessions).toHaveLength(2);
    for (const session of sessions) expect(session).toMatchObject({ aal: 1, amr: ['fed'] });
  });

  // NIST SP 800-63A-4: an address is an account's only once proven; an unverified claim makes none.
  it.each([false, 'false'])(
    'makes no account when Google says email_verified is %j',
    async (verified) => {
      const email = freshEmail('google-unverified');
      const subject = upstreamAccount(google, email, verified);
      const { jar, page } = await signInWith('google', subject);
      expect(heading(page.html)).toMatch(REFUSED);
      expect(page.html).toContain('did not confirm your email address');
      expect(jar.cookies.has('parcours-session')).toBe(false);
      expect(await stack.prisma.identifier.count({ where: { value: email } })).toBe(0);
      expect(await stack.prisma.linkedIdentity.count({ where: { subject } })).toBe(0);
    },
  );

  it.each([true, 'true'])(
    'links an existing verified account automatically for the allow-listed Google saying email_verified %j',
    async (verified) => {
      const account = await signUp(api(), smtp, freshEmail('linked'));
      const subject = upstreamAccount(google, account.email, verified);
      const { jar, page } = await signInWith('google', subject);
      expect(heading(page.html)).toBe('All done');
      expect(await signedIn(jar)).toBe('You are signed in.');
      expect(await stack.prisma.linkedIdentity.findMany({ where: { subject } })).toEqual([
        expect.objectContaining({ userId: account.userId, issuer: google.issuer }),
      ]);
      expect((await sessionsOf(account.userId)).at(-1)).toMatchObject({ amr: ['fed'] });
      expect(await stack.prisma.identifier.count({ where: { value: account.email } })).toBe(1);
    },
  );

  it('asks the account’s password before linking a provider not on the allow-list, refusing a wrong one', async () => {
    const account = await signUp(api(), smtp, freshEmail('gitlab'));
    const subject = upstreamAccount(gitlab, account.email, true);
    const { jar, page } = await signInWith('gitlab', subject);
    const [form] = page.forms;
    expect(form?.values._step).toBe('password');
    expect(page.html).toContain(account.email);
    expect(await stack.prisma.linkedIdentity.count({ where: { subject } })).toBe(0);

    const wrong = await post(jar, form as PageForm, { password: 'not the password at all' });
    expect(wrong.response.status).toBe(422);
    expect(wrong.forms[0]?.values._step).toBe('password');
    expect(await stack.prisma.linkedIdentity.count({ where: { subject } })).toBe(0);

    const right = await post(jar, wrong.forms[0] as PageForm, { password: account.password });
    expect(heading(right.html)).toBe('All done');
    expect(await signedIn(jar)).toBe('You are signed in.');
    expect(await stack.prisma.linkedIdentity.findMany({ where: { subject } })).toEqual([
      expect.objectContaining({
        userId: account.userId,
        issuer: gitlab.issuer,
        provider: 'gitlab',
      }),
    ]);
    expect((await sessionsOf(account.userId)).at(-1)).toMatchObject({
      aal: 1,
      amr: ['fed', 'pwd'],
    });
  });

  // The pre-hijacked account (Sudhodanan & Paverd, 2022): the attacker's unverified address must
  // not become the victim's Google sign-in; the account's owner is asked to prove it instead.
  // The pre-hijacked account through an untrusted provider: its word made no account, so the
  // victim's later sign-in with Google finds no account to be linked into.
  it('makes no account on the word of a provider not on the allow-list, so no one can squat an address through it', async () => {
    const email = freshEmail('squatted');
    const attacker = upstreamAccount(gitlab, email, true);
    const squat = await signInWith('gitlab', attacker);
    expect(squat.page.html).toContain('did not confirm your email address');
    expect(await stack.prisma.identifier.count({ where: { value: email } })).toBe(0);
    expect(await stack.prisma.linkedIdentity.count({ where: { subject: attacker } })).toBe(0);

    const victim = upstreamAccount(google, email, true);
    const { jar, page } = await signInWith('google', victim);
    expect(heading(page.html)).toBe('All done');
    expect(await signedIn(jar)).toBe('You are signed in.');
    const identifier = await stack.prisma.identifier.findUniqueOrThrow({
      where: { type_value: { type: 'email', value: email } },
    });
    const links = await stack.prisma.linkedIdentity.findMany({
      where: { userId: identifier.userId },
    });
    expect(links.map((link) => link.provider)).toEqual(['google']);
  });

  it('links no account an attacker pre-registered with the victim’s unverified address, and gives it no session', async () => {
    const email = freshEmail('victim');
    const attacker = await stack.prisma.user.create({
      data: {
        identifiers: { create: { type: 'email', value: email } },
        credentials: {
          create: { type: 'password', secretHash: await hashPassword('attacker knows this one') },
        },
      },
    });
    const subject = upstreamAccount(google, email, true);
    const { jar, page } = await signInWith('google', subject);
    expect(page.forms[0]?.values._step).toBe('password');
    expect(jar.cookies.has('parcours-session')).toBe(false);
    expect(await stack.prisma.linkedIdentity.count({ where: { userId: attacker.id } })).toBe(0);
    expect(await stack.prisma.linkedIdentity.count({ where: { subject } })).toBe(0);
    expect(await sessionsOf(attacker.id)).toHaveLength(0);
    expect(await signedIn(jar)).toBe('You are signed out.');
  });

  // NIST SP 800-63B-4: a federated sign-in is one factor; the account's second factor still stands.
  it('asks an account with an authenticator app for its code after Google, then opens an aal 2 session', async () => {
    const account = await signUp(api(), smtp, freshEmail('totp'));
    const { secret } = await enrolTotp(api(), account.sessionToken);
    const subject = upstreamAccount(google, account.email, true);
    const { jar, page } = await signInWith('google', subject);
    const form = page.forms.find((candidate) => candidate.values._step === 'totp');
    expect(form, 'the totp step page').toBeDefined();
    expect(jar.cookies.has('parcours-session')).toBe(false);

    const done = await post(jar, form as PageForm, { code: await nextCode(secret) });
    expect(heading(done.html)).toBe('All done');
    expect(await signedIn(jar)).toBe('You are signed in.');
    const session = (await sessionsOf(account.userId)).at(-1);
    expect(session?.aal).toBe(2);
    expect(session?.amr).toEqual(expect.arrayContaining(['fed', 'mfa']));
  });

  // ASVS 5.0 V3.5 (login CSRF) and RFC 9700 §4.7: a provider's answer is bound to the browser that
  // asked for it, by the flow's cookie and the state's random part.
  it('lets a provider’s answer carried to another browser reach no run, nor a run its state does not belong to', async () => {
    const email = freshEmail('carried');
    const subject = upstreamAccount(google, email, true);
    const { jar, callback } = await toCallback('google', subject);

    const other = browserJar();
    const carried = await open(other, callback);
    expect(heading(carried.html)).toMatch(REFUSED);
    expect(other.cookies.has('parcours-session')).toBe(false);

    // The victim's own run, its state's run id put in the attacker's answer.
    const victim = await toCallback('google', upstreamAccount(google, freshEmail('own'), true));
    const victimRun = new URL(victim.callback).searchParams.get('state')?.split('.')[0];
    const forged = new URL(callback);
    const [, random] = (forged.searchParams.get('state') as string).split('.');
    forged.searchParams.set('state', `${victimRun}.${random}`);
    const refused = await open(victim.jar, forged.href);
    expect(heading(refused.html)).toBe('This page cannot go on');
    expect(refused.html).toContain('did not complete');
    expect(victim.jar.cookies.has('parcours-session')).toBe(false);
    expect(await stack.prisma.identifier.count({ where: { value: email } })).toBe(0);
    expect(await stack.prisma.linkedIdentity.count({ where: { subject } })).toBe(0);

    // The answer itself was good: in the browser that asked for it, it signs in.
    const own = await open(jar, callback);
    expect(heading(own.html)).toBe('All done');
    expect(await stack.prisma.linkedIdentity.count({ where: { subject } })).toBe(1);
  });

  it('signs in all the same when the call to the provider’s token endpoint is cut once (tried again)', async () => {
    const email = freshEmail('cut');
    const subject = upstreamAccount(google, email, true);
    google.dropNextTokenRequest();
    const { jar, page } = await signInWith('google', subject);
    expect(heading(page.html)).toBe('All done');
    expect(await signedIn(jar)).toBe('You are signed in.');
  });

  it('signs in once for a code, however many times its callback is replayed', async () => {
    const email = freshEmail('replay');
    const subject = upstreamAccount(google, email, true);
    const { jar, callback } = await toCallback('google', subject);
    const flowCookies = [...jar.cookies].filter(([name]) => name.startsWith('parcours-flow-'));
    const first = await open(jar, callback);
    expect(heading(first.html)).toBe('All done');
    const { userId } = await stack.prisma.identifier.findUniqueOrThrow({
      where: { type_value: { type: 'email', value: email } },
    });
    expect(await sessionsOf(userId)).toHaveLength(1);

    // The same URL in the same browser (its flow's cookie gone), then with that cookie put back.
    const replayed = await open(jar, callback);
    expect(heading(replayed.html)).toMatch(REFUSED);
    const kept = browserJar();
    for (const [name, value] of flowCookies) kept.cookies.set(name, value);
    await open(kept, callback);
    expect(kept.cookies.has('parcours-session')).toBe(false);
    expect(await sessionsOf(userId)).toHaveLength(1);
  });
});
