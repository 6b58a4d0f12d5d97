import { hash } from '@node-rs/argon2';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncryptionCodec } from '../../src/security/payload-codec.js';
import { startApiVariant } from '../support/api-variant.js';
import { decodedHistoryText } from '../support/history-text.js';
import { stepApiClient } from '../support/http.js';
import { startPwnedFake } from '../support/pwned-fake.js';
import { expectProblem } from '../support/raw-http.js';
import { enrolTotp as enrolTotpOver, loginClientAt, nextCode, signIn } from '../support/sign-in.js';
import { bearer, freshEmail, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';
import { mannWhitneyZ } from '../support/statistics.js';

describe('sign-in and second factors over the step API (real Temporal, Postgres and SMTP)', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  /** Each test its own client address (TRUST_PROXY=1), so per-requester counts stay apart. */
  let clientAddress = 0;
  const asClient = () => {
    clientAddress += 1;
    return loginClientAt(stack.url, `198.51.100.${clientAddress}`);
  };

  const enrolTotp = (sessionToken: string) => enrolTotpOver(api, sessionToken);

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { TRUST_PROXY: '1' } });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  /** A sign-in with a second factor, turned to its recovery-code step. */
  /** The run's history, decrypted, holds `shown` and none of `secrets`; answers the history. */
  async function expectHistoryHolds(id: string, shown: string, secrets: string[]) {
    const history = await stack.temporal.workflow.getHandle(id).fetchHistory();
    const text = await decodedHistoryText(history, (payloads) =>
      createEncryptionCodec(stack.keyring, stack.runKeys).decode(payloads),
    );
    expect(text).toContain(shown);
    for (const secret of secrets) expect(text).not.toContain(secret);
    return history;
  }

  async function atRecoveryCode(
    client: ReturnType<typeof asClient>,
    email: string,
    password: string,
  ) {
    const run = await signIn(client, email, password);
    expect(run.answer.body.step.data.otherFactors).toEqual(['recovery_code']);
    const turned = await client.submit(run.id, run.token, 'totp', { method: 'recovery_code' });
    expect(turned.body.step.name).toBe('recovery-code');
    return run;
  }

  it('signs a registered customer in with their password: a new session, aal1 and amr pwd, that whoami knows', async () => {
    const customer = await signUp(api, smtp);
    const { id, answer } = await signIn(asClient(), customer.email, customer.password);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'completed',
      result: {
        type: 'session',
        user: { id: customer.userId },
        session: { aal: 1, amr: ['pwd'], token: expect.any(String) },
      },
    });
    const whoami = await api.call('GET', '/v1/sessions/whoami', {
      headers: bearer(answer.body.result.session.token),
    });
    expect(whoami.body.session).toMatchObject({ aal: 1, amr: ['pwd'] });
    expect(whoami.body.identity.id).toBe(customer.userId);
    // Neither the password nor the session token ever entered the run's history, even decrypted.
    await expectHistoryHolds(id, customer.email, [
      customer.password,
      answer.body.result.session.token,
    ]);
  });

  it('signs in with the address and the password in one submission: one step, the password sealed, never in history (NIST SP 800-63B §5.1.1.2)', async () => {
    const customer = await signUp(api, smtp);
    const client = asClient();
    const { id, token } = (await client.start()).body;
    const answer = await client.submit(id, token, 'identify', {
      email: customer.email,
      password: customer.password,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'completed',
      result: { type: 'session', user: { id: customer.userId }, session: { aal: 1, amr: ['pwd'] } },
    });
    const history = await expectHistoryHolds(id, customer.email, [
      customer.password,
      answer.body.result.session.token,
    ]);
    // One update for the whole sign-in after the start.
    const updates = history.events?.filter(
      (event) => event.workflowExecutionUpdateAcceptedEventAttributes,
    );
    expect(updates).toHaveLength(1);
  });

  it('enrols an authenticator app from a recent session: the key shown in the step only (QR code, otpauth URI), sealed at rest, never in history; a code from the app confirms it', async () => {
    const customer = await signUp(api, smtp);
    const started = await api.call('POST', '/v1/journeys/mfa-enrolment/start', {
      headers: bearer(customer.sessionToken),
    });
    const { id, token, step } = started.body;
    expect(step).toMatchObject({
      name: 'confirm-totp',
      data: {
        factor: 'totp',
        codeLength: 6,
        otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\/.*secret=[A-Z2-7]+/),
        qrCode: expect.stringMatching(/^data:image\/png;base64,/),
        secret: expect.stringMatching(/^[A-Z2-7]{32}$/),
      },
    });
    const secret = step.data.secret as string;
    // The same key on every view of the step, until it is confirmed.
    expect((await api.get(id, token)).body.step.data.secret).toBe(secret);
    const [pending] = await stack.prisma.credential.findMany({
      where: { userId: customer.userId, type: 'totp' },
    });
    expect(pending?.confirmedAt).toBeNull();
    expect(Buffer.from(pending?.sealedSecret ?? []).toString('latin1')).not.toContain(secret);

    const wrong = await api.submit(id, token, 'confirm-totp', {
      code: (await generate({ secret })) === '000000' ? '111111' : '000000',
    });
    expectProblem(wrong, 422, 'invalid_code');
    // The account's first factor: its recovery codes come with it, shown until they are saved.
    const shown = await api.submit(id, token, 'confirm-totp', { code: await generate({ secret }) });
    expect(shown.body.step).toMatchObject({ name: 'recovery-codes', data: { count: 10 } });
    const codes = shown.body.step.data.codes as string[];
    expect((await api.get(id, token)).body.step.data.codes).toEqual(codes);
    const done = await api.submit(id, token, 'recovery-codes', { saved: true });
    expect(done.body).toMatchObject({ status: 'completed', result: { type: 'none' } });
    const confirmed = await stack.prisma.credential.findUniqueOrThrow({
      where: { id: pending?.id as string },
    });
    expect(confirmed.confirmedAt).toBeInstanceOf(Date);

    const history = await stack.temporal.workflow.getHandle(id).fetchHistory();
    const text = await decodedHistoryText(history, (payloads) =>
      createEncryptionCodec(stack.keyring, stack.runKeys).decode(payloads),
    );
    expect(text).toContain(customer.userId);
    expect(text).not.toContain(secret);
    for (const code of codes) expect(text).not.toContain(code);
  });

  it('asks an account with an authenticator app for its code after the password, and the code opens an aal2 session (amr pwd, otp, mfa)', async () => {
    const customer = await signUp(api, smtp);
    const { secret } = await enrolTotp(customer.sessionToken);
    const client = asClient();
    const { id, token, answer } = await signIn(client, customer.email, customer.password);
    expect(answer.body.step).toEqual({
      name: 'totp',
      schema: expect.any(Object),
      data: { codeLength: 6, factor: 'totp', otherFactors: ['recovery_code'] },
    });
    // The enrolment used this time step's code, and each is accepted once: the app's next one.
    const done = await client.submit(id, token, 'totp', { code: await nextCode(secret) });
    expect(done.body).toMatchObject({
      status: 'completed',
      result: { session: { aal: 2, amr: ['pwd', 'otp', 'mfa'] } },
    });
  });

  it('accepts each TOTP code once: replayed in a later sign-in it answers code_used, and of two sign-ins racing with one code exactly one wins (RFC 6238 §5.2)', async () => {
    const customer = await signUp(api, smtp);
    const { secret } = await enrolTotp(customer.sessionToken);
    const client = asClient();
    // The confirmation used this step's code: the first sign-in waits for a code of its own.
    const atTotp = async () => {
      const run = await signIn(client, customer.email, customer.password);
      expect(run.answer.body.step.name).toBe('totp');
      return run;
    };
    const first = await atTotp();
    const second = await atTotp();
    const third = await atTotp();
    const code = await nextCode(secret);
    const [a, b] = await Promise.all([
      client.submit(first.id, first.token, 'totp', { code }),
      client.submit(second.id, second.token, 'totp', { code }),
    ]);
    const outcomes = [a, b].map((answer) => answer.body.code ?? answer.body.status).sort();
    expect(outcomes).toEqual(['code_used', 'completed']);
    const replay = await client.submit(third.id, third.token, 'totp', { code });
    expectProblem(replay, 422, 'code_used');
  });

  it('shows ten recovery codes with the first factor; each signs in once as a second factor (aal2) and its owner is told how many are left; a new set revokes the old (NIST SP 800-63B §5.1.2)', async () => {
    const customer = await signUp(api, smtp);
    const { codes } = await enrolTotp(customer.sessionToken);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes)
      expect(code).toMatch(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    const stored = await stack.prisma.credential.findMany({
      where: { userId: customer.userId, type: 'recovery_code' },
    });
    expect(stored).toHaveLength(10);
    for (const row of stored) expect(codes.join()).not.toContain(row.secretHash);
    expect(JSON.stringify(stored)).not.toContain((codes[0] as string).replaceAll('-', ''));

    const client = asClient();
    const first = await atRecoveryCode(client, customer.email, customer.password);
    const mark = smtp.messages.length;
    // Typed as a person would: lower case, no dashes.
    const typed = (codes[0] as string).toLowerCase().replaceAll('-', '');
    const done = await client.submit(first.id, first.token, 'recovery-code', { code: typed });
    expect(done.body).toMatchObject({
      status: 'completed',
      result: { session: { aal: 2, amr: ['pwd', 'otp', 'mfa'] } },
    });
    // The enrolment's own notice ("a second factor was added") may still be on its way: wait for this one.
    const notice = await smtp.waitFor(
      (message) =>
        message.to.includes(customer.email) &&
        smtp.messages.indexOf(message) >= mark &&
        /recovery code was used/.test(message.subject),
    );
    expect(notice.text).toContain('You have 9 recovery codes left');

    const again = await atRecoveryCode(client, customer.email, customer.password);
    expectProblem(
      await client.submit(again.id, again.token, 'recovery-code', { code: codes[0] }),
      422,
      'invalid_code',
    );

    // Two sign-ins racing with one code: one wins.
    const [x, y] = [
      await atRecoveryCode(client, customer.email, customer.password),
      await atRecoveryCode(client, customer.email, customer.password),
    ];
    const raced = await Promise.all([
      client.submit(x.id, x.token, 'recovery-code', { code: codes[1] }),
      client.submit(y.id, y.token, 'recovery-code', { code: codes[1] }),
    ]);
    expect(raced.map((answer) => answer.body.code ?? answer.body.status).sort()).toEqual([
      'completed',
      'invalid_code',
    ]);

    // A new set, from a session at the account's level (aal 2: it has TOTP): the password-only
    // session is sent to step up first. The old codes stop working, the new ones work.
    expectProblem(
      await api.call('POST', '/v1/journeys/mfa-enrolment/start', {
        headers: bearer(customer.sessionToken),
        body: { factor: 'recovery_codes' },
      }),
      403,
      'stronger_authentication_required',
    );
    const regenerated = await api.call('POST', '/v1/journeys/mfa-enrolment/start', {
      headers: bearer(done.body.result.session.token),
      body: { factor: 'recovery_codes' },
    });
    expect(regenerated.body.step).toMatchObject({ name: 'recovery-codes', data: { count: 10 } });
    const fresh = regenerated.body.step.data.codes as string[];
    expect(fresh.some((code) => codes.includes(code))).toBe(false);
    await api.submit(regenerated.body.id, regenerated.body.token, 'recovery-codes', {
      saved: true,
    });
    const old = await atRecoveryCode(client, customer.email, customer.password);
    expectProblem(
      await client.submit(old.id, old.token, 'recovery-code', { code: codes[2] }),
      422,
      'invalid_code',
    );
    const renewed = await client.submit(old.id, old.token, 'recovery-code', { code: fresh[0] });
    expect(renewed.body.status).toBe('completed');
  });

  it('steps a session up to aal2 with the TOTP code: the same session, raised, its old token refused at once, and no second session', async () => {
    const customer = await signUp(api, smtp);
    const { secret } = await enrolTotp(customer.sessionToken);
    const sessionsBefore = await stack.prisma.session.count({ where: { userId: customer.userId } });
    const before = (
      await api.call('GET', '/v1/sessions/whoami', { headers: bearer(customer.sessionToken) })
    ).body.session;
    expect(before.aal).toBe(1);

    const started = await api.call('POST', '/v1/journeys/step-up/start', {
      headers: bearer(customer.sessionToken),
      body: { aal: 2 },
    });
    expect(started.body.step).toMatchObject({ name: 'totp' });
    const raised = await api.submit(started.body.id, started.body.token, 'totp', {
      code: await nextCode(secret),
    });
    expect(raised.body).toMatchObject({
      status: 'completed',
      result: {
        type: 'session_raised',
        // What this step-up proved, and only that: auth_time is now, so amr is the code alone.
        session: { id: before.id, aal: 2, amr: ['otp'], token: expect.any(String) },
      },
    });
    const newToken = raised.body.result.session.token as string;
    // The account's factors, as a settings page lists them: never a secret.
    const factors = await api.call('GET', '/v1/sessions/factors', { headers: bearer(newToken) });
    expect(factors.body.factors).toEqual([
      {
        id: expect.any(String),
        type: 'totp',
        enrolled_at: expect.any(String),
        last_used_at: expect.any(String),
      },
      { type: 'recovery_code', remaining: 10, enrolled_at: expect.any(String) },
    ]);
    expect(JSON.stringify(factors.body)).not.toContain(secret);
    expect(newToken).not.toBe(customer.sessionToken);
    // ASVS 3.3.1 / 3.2.1: the token changes with the privilege, and the old one is dead at once.
    expectProblem(
      await api.call('GET', '/v1/sessions/whoami', { headers: bearer(customer.sessionToken) }),
      401,
      'session_required',
    );
    const after = (await api.call('GET', '/v1/sessions/whoami', { headers: bearer(newToken) })).body
      .session;
    expect(after).toMatchObject({ id: before.id, aal: 2, amr: ['otp'] });
    expect(after.factors).toEqual(
      expect.arrayContaining([expect.objectContaining({ amr: 'otp' })]),
    );
    expect(await stack.prisma.session.count({ where: { userId: customer.userId } })).toBe(
      sessionsBefore,
    );
  });

  it('answers a journey that needs a more recent sign-in with 403 and a step_up link; after stepping up there, the journey starts', async () => {
    const strict = await startApiVariant(stack, {
      journeySettings: { 'email-change': { maxAgeSeconds: 1 } },
    });
    try {
      const client = stepApiClient(strict.url);
      const customer = await signUp(api, smtp);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const refused = await client.call('POST', '/v1/journeys/email-change/start', {
        headers: bearer(customer.sessionToken),
      });
      expectProblem(refused, 403, 'reauthentication_required');
      expect(refused.body.step_up).toEqual({
        method: 'POST',
        href: '/v1/journeys/step-up/start',
        body: { max_age: 1 },
      });
      const stepUp = await client.call(refused.body.step_up.method, refused.body.step_up.href, {
        headers: bearer(customer.sessionToken),
        body: refused.body.step_up.body,
      });
      // No second factor on this account: a recent sign-in is the password again.
      expect(stepUp.body.step).toMatchObject({ name: 'password' });
      const raised = await client.submit(stepUp.body.id, stepUp.body.token, 'password', {
        password: customer.password,
      });
      expect(raised.body.result).toMatchObject({ type: 'session_raised', session: { aal: 1 } });
      const retried = await client.call('POST', '/v1/journeys/email-change/start', {
        headers: bearer(raised.body.result.session.token),
      });
      expect(retried.status).toBe(201);
    } finally {
      await strict.stop();
    }
  });

  it('removes a second factor only from a stepped-up session (403 with a step_up link otherwise); where MFA is required the last one stays', async () => {
    const customer = await signUp(api, smtp);
    const { secret } = await enrolTotp(customer.sessionToken);
    const [totp] = (
      await api.call('GET', '/v1/sessions/factors', { headers: bearer(customer.sessionToken) })
    ).body.factors;
    const refused = await api.call('POST', '/v1/journeys/factor-removal/start', {
      headers: bearer(customer.sessionToken),
      body: { factor: totp.id },
    });
    expectProblem(refused, 403, 'stronger_authentication_required');
    expect(refused.body.step_up).toMatchObject({ body: { aal: 2 } });

    const stepUp = await api.call('POST', refused.body.step_up.href, {
      headers: bearer(customer.sessionToken),
      body: refused.body.step_up.body,
    });
    const raised = await api.submit(stepUp.body.id, stepUp.body.token, 'totp', {
      code: await nextCode(secret),
    });
    const session = raised.body.result.session.token as string;

    const strict = await startApiVariant(stack, {
      journeySettings: { 'factor-removal': { requireMfa: true } },
    });
    try {
      const kept = await stepApiClient(strict.url).call(
        'POST',
        '/v1/journeys/factor-removal/start',
        {
          headers: bearer(session),
          body: { factor: totp.id },
        },
      );
      expect(kept.body).toMatchObject({ status: 'failed', error: { code: 'last_factor' } });
    } finally {
      await strict.stop();
    }
    const removed = await api.call('POST', '/v1/journeys/factor-removal/start', {
      headers: bearer(session),
      body: { factor: totp.id },
    });
    expect(removed.body).toMatchObject({ status: 'completed', result: { type: 'none' } });
    // The recovery codes went with the last factor they stood in for.
    expect(
      (await api.call('GET', '/v1/sessions/factors', { headers: bearer(session) })).body.factors,
    ).toEqual([]);
    const { answer } = await signIn(asClient(), customer.email, customer.password);
    expect(answer.body.result.session).toMatchObject({ aal: 1, amr: ['pwd'] });
  });

  it('answers an unknown address exactly as a wrong password, after the same work: the answers match and their times are indistinguishable (ASVS 5.0 V6.3.8, OWASP WSTG-IDNT-04)', async () => {
    // Four wrong passwords per account stay under the per-address throttle; a client per attempt
    // stays under the per-requester one.
    const accounts = await Promise.all(Array.from({ length: 5 }, () => signUp(api, smtp)));
    const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
    const bodies: Record<'known' | 'unknown', unknown[]> = { known: [], unknown: [] };
    const attempt = async (kind: 'known' | 'unknown', email: string) => {
      const client = asClient();
      const { id, token } = (await client.start()).body;
      await client.submit(id, token, 'identify', { email });
      const started = performance.now();
      const answer = await client.submit(id, token, 'password', { password: 'not the password' });
      times[kind].push(performance.now() - started);
      const { view, ...problem } = answer.body;
      bodies[kind].push({ status: answer.status, problem, step: view.step.name });
    };
    for (let round = 0; round < 4; round += 1)
      for (const account of accounts) {
        // Interleaved, so whatever else the machine does falls on both alike.
        await attempt('known', account.email);
        await attempt('unknown', freshEmail('nobody'));
      }
    expect(new Set(bodies.known.map((body) => JSON.stringify(body))).size).toBe(1);
    expect(bodies.unknown).toEqual(bodies.known);
    // A password check skipped for unknown addresses (an argon2id verification, tens of
    // milliseconds) separates the two samples completely: |z| about 5.4 for 20 against 20.
    expect(Math.abs(mannWhitneyZ(times.known, times.unknown))).toBeLessThan(3.29); // p > 0.001
  });

  it('slows TOTP guessing on an account after 5 wrong codes (429 factor_throttled with Retry-After), whichever sign-in they come from (NIST SP 800-63B §5.2.2)', async () => {
    const customer = await signUp(api, smtp);
    const { secret } = await enrolTotp(customer.sessionToken);
    const right = await nextCode(secret);
    const wrong = right === '000000' ? '111111' : '000000';
    const client = asClient();
    const answers = [];
    // Across two sign-ins: the count belongs to the account, not to the run.
    for (const tries of [3, 3]) {
      const run = await signIn(client, customer.email, customer.password);
      for (let attempt = 0; attempt < tries; attempt += 1)
        answers.push(await client.submit(run.id, run.token, 'totp', { code: wrong }));
    }
    expect(answers.slice(0, 5).map((answer) => answer.body.code)).toEqual(
      Array(5).fill('invalid_code'),
    );
    const throttled = answers[5] as (typeof answers)[number];
    expectProblem(throttled, 429, 'factor_throttled');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('slows guessing at one address after 5 wrong passwords (429 sign_in_throttled, Retry-After), exactly as at an address with no account (NIST SP 800-63B §5.2.2)', async () => {
    const customer = await signUp(api, smtp);
    for (const email of [customer.email, freshEmail('nobody')]) {
      const client = asClient();
      const answers = [];
      for (let attempt = 0; attempt < 6; attempt += 1)
        answers.push((await signIn(client, email, 'not the password')).answer);
      // The right password waits too from the network that guessed (within the first second).
      answers.push((await signIn(client, email, customer.password)).answer);
      expect(answers.slice(0, 5).map((answer) => answer.body.code)).toEqual(
        Array(5).fill('invalid_credentials'),
      );
      for (const throttled of answers.slice(5)) {
        expectProblem(throttled, 429, 'sign_in_throttled');
        expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    // From another network the right password is judged at once: guesses cannot lock the owner
    // out (NIST SP 800-63B-4 §3.2.2).
    const owner = await signIn(asClient(), customer.email, customer.password);
    expect(owner.answer.body).toMatchObject({ status: 'completed', result: { type: 'session' } });
  });

  it('stops one client spraying a password across addresses: past 20 failures in an hour its attempts wait, whatever the address (password spraying)', async () => {
    const client = asClient();
    for (let attempt = 0; attempt < 20; attempt += 1)
      expectProblem(
        (await signIn(client, freshEmail('sprayed'), 'Summer2026!')).answer,
        422,
        'invalid_credentials',
      );
    expectProblem(
      (await signIn(client, freshEmail('sprayed'), 'Summer2026!')).answer,
      429,
      'sign_in_throttled',
    );
    // Another client is not slowed by it.
    expectProblem(
      (await signIn(asClient(), freshEmail('sprayed'), 'Summer2026!')).answer,
      422,
      'invalid_credentials',
    );
  });

  it('refuses a new password found in breach corpora with 422 password_breached, sending only a hash prefix; with the service down it fails open (NIST SP 800-63B §5.1.1.2, ASVS 2.1.7)', async () => {
    const breached = 'correct horse battery staple';
    const pwned = await startPwnedFake({ breached: [[breached, 314159]] });
    const checked = await startApiVariant(
      stack,
      {},
      { breachedPasswords: { url: pwned.url, timeoutMs: 500 } },
    );
    try {
      const client = stepApiClient(checked.url);
      const { id, token } = (await client.start('registration')).body;
      const refused = await client.submit(id, token, 'credentials', {
        email: freshEmail('breached'),
        password: breached,
      });
      expectProblem(refused, 422, 'invalid_input');
      expect(refused.body.errors).toEqual([
        expect.objectContaining({ path: '/password', code: 'password_breached' }),
      ]);
      expect(JSON.stringify(refused.body)).not.toContain('314159');
      expect(pwned.requests.every((path) => /^\/range\/[0-9A-F]{5}$/.test(path))).toBe(true);
      pwned.setStatus(503);
      const accepted = await client.submit(id, token, 'credentials', {
        email: freshEmail('breached'),
        password: breached,
      });
      expect(accepted.body.step.name).toBe('verify-email');
    } finally {
      await checked.stop();
      await pwned.close();
    }
  });

  it("raises a journey's minimum password length by setting: 15 where the password is the only factor (NIST SP 800-63B-4 §3.1.1.2)", async () => {
    const strict = await startApiVariant(stack, {
      journeySettings: { registration: { passwordMinLength: 15 } },
    });
    try {
      const client = stepApiClient(strict.url);
      const { id, token, step } = (await client.start('registration')).body;
      expect(step?.data.passwordPolicy).toEqual({ minLength: 15, maxLength: 256 });
      const short = await client.submit(id, token, 'credentials', {
        email: freshEmail('short'),
        password: 'Quartz-Lynx-42',
      });
      expectProblem(short, 422, 'invalid_input');
      expect(short.body.errors).toEqual([
        expect.objectContaining({
          path: '/password',
          code: 'password_too_short',
          message: 'Use at least 15 characters.',
        }),
      ]);
      const long = await client.submit(id, token, 'credentials', {
        email: freshEmail('long'),
        password: 'Quartz-Lynx-42-Orbit',
      });
      expect(long.body.step.name).toBe('verify-email');
    } finally {
      await strict.stop();
    }
  });

  it('rehashes a password stored under older argon2id parameters at the next sign-in (ASVS 2.4.1)', async () => {
    const customer = await signUp(api, smtp);
    const old = await hash(customer.password.normalize('NFKC'), {
      algorithm: 2,
      memoryCost: 4096,
      timeCost: 1,
      parallelism: 1,
    });
    await stack.prisma.credential.updateMany({
      where: { userId: customer.userId, type: 'password' },
      data: { secretHash: old },
    });
    const { answer } = await signIn(asClient(), customer.email, customer.password);
    expect(answer.body.status).toBe('completed');
    const credential = await stack.prisma.credential.findFirstOrThrow({
      where: { userId: customer.userId, type: 'password' },
    });
    expect(credential.secretHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // And the new hash works.
    expect((await signIn(asClient(), customer.email, customer.password)).answer.body.status).toBe(
      'completed',
    );
  });
});
