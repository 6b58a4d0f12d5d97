import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifierThrottleKey } from '../../src/activities/authn/sign-in-gate.js';
import { stepApiClient } from '../support/http.js';
import { expectProblem } from '../support/raw-http.js';
import { enrolPasskey, enrolTotp, loginClientAt, nextCode, signIn } from '../support/sign-in.js';
import { freshEmail, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { createSoftAuthenticator } from '../support/soft-authenticator.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Sign-in locks an attacker cannot turn against the owner (NIST SP 800-63B-4 §3.2.2: limit
 * guessing without a denial of service), over the step API on real Temporal, Postgres and SMTP,
 * with the real policy (100 in a row; 20 a day per network): counts are seeded, not guessed.
 */
describe('sign-in locks that do not lock the owner out', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  const HOUR_MS = 3_600_000;
  const DAY_MS = 24 * HOUR_MS;
  /** A client at an address of its own (TRUST_PROXY=1): one network each. */
  let networks = 0;
  const network = () => {
    networks += 1;
    return loginClientAt(stack.url, `203.0.113.${networks}`);
  };

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { TRUST_PROXY: '1' } });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  const passwordKey = (email: string) => identifierThrottleKey(stack.keyring, email).name;
  /** Wrong guesses counted on `key` as if from elsewhere, the last an hour ago. */
  const seedFailures = (key: string, failures: number) => {
    const at = new Date(Date.now() - HOUR_MS);
    return stack.prisma.authThrottle.create({
      data: { key, failures, windowStart: at, lastFailureAt: at },
    });
  };
  /** The lock notices queued for an address and delivered to it (the outbox relay sends them). */
  async function lockNoticesTo(email: string) {
    const isNotice = (message: { to: string; subject: string }) =>
      message.to.includes(email) && message.subject.startsWith('Too many wrong attempts');
    const first = await smtp.waitFor(isNotice, 10_000);
    const queued = await stack.prisma.outboundMessage.count({
      where: { recipient: email, template: 'sign-in-locked' },
    });
    return { queued, delivered: smtp.messages.filter(isNotice).length, text: first.text };
  }

  it("the review's example: the hundredth wrong password from one network locks the password there, the owner signs in from theirs and is told once; an unknown address answers alike", async () => {
    const customer = await signUp(api, smtp);
    const unknown = freshEmail('nobody');
    const answersAt = async (email: string) => {
      // 99 wrong guesses counted already: about 22 hours of them at the 15-minute cap.
      await seedFailures(passwordKey(email), 99);
      const attacker = network();
      const answers = [];
      // The first reaches the lock; the next two are still judged (a network's first few).
      for (let guess = 0; guess < 3; guess += 1)
        answers.push((await signIn(attacker, email, 'not the password')).answer);
      // Then not even the right password is judged from there.
      answers.push((await signIn(attacker, email, customer.password)).answer);
      return answers.map((answer) => [answer.status, answer.body.code]);
    };
    const known = await answersAt(customer.email);
    expect(known).toEqual([
      [422, 'invalid_credentials'],
      [422, 'invalid_credentials'],
      [422, 'invalid_credentials'],
      [403, 'password_locked'],
    ]);
    expect(await answersAt(unknown)).toEqual(known);

    const owner = await signIn(network(), customer.email, customer.password);
    expect(owner.answer.body).toMatchObject({
      status: 'completed',
      result: { type: 'session', user: { id: customer.userId } },
    });
    const notices = await lockNoticesTo(customer.email);
    expect(notices).toMatchObject({ queued: 1, delivered: 1 });
    expect(notices.text).toContain('password');
    // No account, no one to tell: nothing queued for the unknown address.
    expect(await stack.prisma.outboundMessage.count({ where: { recipient: unknown } })).toBe(0);
  });

  it('lifts the password and TOTP locks when the owner signs in with a passkey: their network that failed is judged again', async () => {
    const authenticator = createSoftAuthenticator();
    const origin = stack.config.webauthn.origins[0] as string;
    const customer = await signUp(api, smtp);
    await enrolPasskey(api, customer.sessionToken, (creationOptions) =>
      authenticator.register({ creationOptions, origin }),
    );
    // The owner's own network mistyped three times, and the address and the TOTP are locked.
    const home = network();
    for (let guess = 0; guess < 3; guess += 1)
      await signIn(home, customer.email, 'not the password');
    await stack.prisma.authThrottle.update({
      where: { key: passwordKey(customer.email) },
      data: { failures: 100 },
    });
    await seedFailures(`totp:${customer.userId}`, 100);
    expectProblem(
      (await signIn(home, customer.email, customer.password)).answer,
      403,
      'password_locked',
    );

    const { id, token } = (await api.start('login')).body;
    const chosen = await api.submit(id, token, 'identify', { method: 'passkey' });
    const credential = authenticator.authenticate({
      requestOptions: chosen.body.step.data.options,
      origin,
    });
    const signedIn = await api.submit(id, token, 'passkey-sign-in', { credential });
    expect(signedIn.body).toMatchObject({ status: 'completed', result: { type: 'session' } });

    // The password is judged from home again: right, it moves on to the account's passkey.
    const again = await signIn(home, customer.email, customer.password);
    expect(again.answer.body).toMatchObject({ status: 'active', step: { name: 'passkey' } });
    expect(
      await stack.prisma.authThrottle.findUnique({ where: { key: `totp:${customer.userId}` } }),
    ).toBeNull();
  });

  it('locks one network out of one address after 20 wrong passwords, for a day from its first; then it is judged again', async () => {
    const customer = await signUp(api, smtp);
    const guesser = network();
    await signIn(guesser, customer.email, 'not the password');
    const ofThisNetwork = { key: { startsWith: `${passwordKey(customer.email)}:` } };
    await stack.prisma.authThrottle.updateMany({ where: ofThisNetwork, data: { failures: 20 } });
    const locked = (await signIn(guesser, customer.email, customer.password)).answer;
    expectProblem(locked, 429, 'sign_in_throttled');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(DAY_MS / 1000 - 60);

    // A day after its count began, the lock has lapsed.
    await stack.prisma.authThrottle.updateMany({
      where: ofThisNetwork,
      data: { windowStart: new Date(Date.now() - DAY_MS - 1000) },
    });
    const judged = (await signIn(guesser, customer.email, customer.password)).answer;
    expect(judged.body).toMatchObject({ status: 'completed', result: { type: 'session' } });
  });

  it("the same for TOTP: the hundredth wrong code from one network locks the codes there; the owner's code from theirs signs in at aal2, and they are told once", async () => {
    const customer = await signUp(api, smtp);
    const { secret } = await enrolTotp(api, customer.sessionToken);
    await seedFailures(`totp:${customer.userId}`, 99);
    // Someone who has the password guesses codes from one network.
    const attacker = network();
    const run = await signIn(attacker, customer.email, customer.password);
    expect(run.answer.body.step.name).toBe('totp');
    const right = await nextCode(secret);
    const wrong = right === '000000' ? '111111' : '000000';
    const answers = [];
    for (let guess = 0; guess < 3; guess += 1)
      answers.push(await attacker.submit(run.id, run.token, 'totp', { code: wrong }));
    answers.push(await attacker.submit(run.id, run.token, 'totp', { code: right }));
    expect(answers.map((answer) => [answer.status, answer.body.code])).toEqual([
      [422, 'invalid_code'],
      [422, 'invalid_code'],
      [422, 'invalid_code'],
      [403, 'factor_locked'],
    ]);

    const owner = network();
    const mine = await signIn(owner, customer.email, customer.password);
    const done = await owner.submit(mine.id, mine.token, 'totp', { code: right });
    expect(done.body).toMatchObject({ status: 'completed', result: { session: { aal: 2 } } });
    const notices = await lockNoticesTo(customer.email);
    expect(notices).toMatchObject({ queued: 1, delivered: 1 });
    expect(notices.text).toContain('authenticator app codes');
  });

  it('throttles password spraying from addresses rotating inside one IPv6 /56 as one requester: past 20 failures its attempts wait', async () => {
    // One customer's site: a different address, in a different /64, for every attempt.
    const site = (i: number) => loginClientAt(stack.url, `2001:db8:5:${i.toString(16)}::${i + 1}`);
    for (let attempt = 0; attempt < 20; attempt += 1)
      expectProblem(
        (await signIn(site(attempt), freshEmail('sprayed'), 'Summer2026!')).answer,
        422,
        'invalid_credentials',
      );
    expectProblem(
      (await signIn(site(255), freshEmail('sprayed'), 'Summer2026!')).answer,
      429,
      'sign_in_throttled',
    );
    // The next /56 is another requester.
    expectProblem(
      (
        await signIn(
          loginClientAt(stack.url, '2001:db8:5:100::1'),
          freshEmail('sprayed'),
          'Summer2026!',
        )
      ).answer,
      422,
      'invalid_credentials',
    );
  });
});
