import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn, stepApiClient } from '../support/http.js';
import { expectProblem, rawRequest, requestNaming } from '../support/raw-http.js';
import { signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const PUBLIC_URL = 'https://id.example.test/auth';

/**
 * Account recovery's link (recovery@1 with PARCOURS_PUBLIC_URL set), over the step API on real
 * Temporal, Postgres and SMTP: built on the configured base only (Zitadel GHSA-93m4-mfpg-c3xf,
 * GHSA-pfrf-9r5f-73f5: reset links from the Host header), single use, bound to the run, and
 * handing whoever opens it nothing of the run.
 */
describe('the recovery link', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  const isRecoveryCode = (email: string) => (message: { to: string; subject: string }) =>
    message.to.includes(email) && message.subject.includes('account recovery code');
  /** The link's token in a message: what follows `/continue#`. */
  const tokenIn = (text: string) => {
    const match = /\/continue#([^\s]+)/.exec(text);
    if (!match?.[1]) throw new Error(`no link in: ${text}`);
    return match[1];
  };
  const open = (token: unknown) => api.call('POST', '/v1/links/continue', { body: { token } });

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({
      smtpUrl: smtp.url,
      env: { TRUST_PROXY: '1', PARCOURS_PUBLIC_URL: PUBLIC_URL },
    });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  /** A recovery run at its inbox code, asked with `headers`: the run and its message. */
  async function asked(email: string, headers: Record<string, string> = {}) {
    const started = await api.call('POST', '/v1/journeys/recovery/start', { headers });
    const { id, token } = started.body;
    const answer = await api.call('POST', `/v1/journeys/${id}/steps/email`, {
      headers: { ...headers, 'journey-token': token },
      body: { email },
    });
    expect(answer.body.step.name).toBe('verify-email');
    const mail = await smtp.waitFor(isRecoveryCode(email));
    return { id: id as string, token: token as string, mail, link: tokenIn(mail.text) };
  }

  it('builds the link on PARCOURS_PUBLIC_URL whatever names the request gave: a foreign Host is refused, X-Forwarded-Host is not read (Zitadel GHSA-93m4-mfpg-c3xf)', async () => {
    const customer = await signUp(api, smtp);
    const foreign = await requestNaming(
      'evil.test',
      stack.url,
      'POST',
      '/v1/journeys/recovery/start',
    );
    expectProblem(foreign, 421, 'misdirected_request');

    const run = await asked(customer.email, {
      'x-forwarded-host': 'evil.test',
      'x-forwarded-proto': 'http',
      forwarded: 'host=evil.test;proto=http',
    });
    expect(run.mail.text).toContain(`${PUBLIC_URL}/continue#${run.link}`);
    expect(run.mail.raw).not.toContain('evil.test');
    // 192 bits of secret after the challenge's id (ASVS 5.0 V6.4.1 asks for 128 at least).
    expect(run.link).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{32}$/);
  });

  it('continues the run that asked for it, on the device that started it: whoever opens the link gets no run id, view or token', async () => {
    const customer = await signUp(api, smtp);
    const run = await asked(customer.email);
    const opened = await open(run.link);
    expect(opened.status).toBe(200);
    expect(opened.body).toEqual({ status: 'continued', detail: expect.any(String) });
    expect(JSON.stringify(opened.body)).not.toContain(run.id);
    // The opener cannot read or drive the run with what the link gave them.
    expectProblem(await api.get(run.id, run.link), 404, 'journey_not_found');
    // The device that started it goes on, with its journey token.
    const polled = await api.get(run.id, run.token);
    expect(polled.body).toMatchObject({ status: 'active', step: { name: 'new-password' } });
    const done = await api.submit(run.id, run.token, 'new-password', {
      password: 'babbage and lovelace 1843',
    });
    expect(done.body).toMatchObject({ status: 'completed', result: { type: 'session' } });
  });

  it('works once: the same link again answers link_used and changes nothing', async () => {
    const customer = await signUp(api, smtp);
    const run = await asked(customer.email);
    expect((await open(run.link)).status).toBe(200);
    expectProblem(await open(run.link), 409, 'link_used');
    expect((await api.get(run.id, run.token)).body.step.name).toBe('new-password');
  });

  it('answers an expired link link_expired, with a fresh start', async () => {
    const customer = await signUp(api, smtp);
    const run = await asked(customer.email);
    const [challengeId] = run.link.split('.');
    await stack.prisma.otpChallenge.update({
      where: { id: challengeId as string },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await open(run.link);
    expectProblem(expired, 410, 'link_expired');
    expect(expired.body.restart).toEqual({ method: 'POST', href: '/v1/journeys/recovery/start' });
    expect((await api.get(run.id, run.token)).body.step.name).toBe('verify-email');
  });

  it('refuses a link whose secret is wrong, without spending any of the run’s code attempts', async () => {
    const customer = await signUp(api, smtp);
    const run = await asked(customer.email);
    const [challengeId, secret] = run.link.split('.') as [string, string];
    const forged = `${challengeId}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (let attempt = 0; attempt < 6; attempt += 1)
      expectProblem(await open(forged), 404, 'link_invalid');
    expect((await api.get(run.id, run.token)).body.step.data.attemptsLeft).toBe(5);
    expectProblem(await open('not a token'), 422, 'invalid_input');
    // The code still works.
    const proven = await api.submit(run.id, run.token, 'verify-email', {
      code: codeIn(run.mail.text),
    });
    expect(proven.body.step.name).toBe('new-password');
  });

  it('serves the page the link opens: no script but its own, the token kept out of requests (CSP, no-referrer)', async () => {
    const page = await rawRequest(stack.url, 'GET', '/continue');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text).toContain('/continue/continue.js');
    const script = await rawRequest(stack.url, 'GET', '/continue/continue.js');
    expect(script.text).toContain("'/v1/links/continue'");
  });
});
