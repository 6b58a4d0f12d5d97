import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifierThrottleKey } from '../../src/activities/authn/sign-in-gate.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { enrolTotp, loginClientAt, nextCode, signIn } from '../support/sign-in.js';
import { bearer, freshEmail, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';
import { mannWhitneyZ } from '../support/statistics.js';

/**
 * Account recovery (recovery@1) over the step API, on real Temporal, Postgres and SMTP: the
 * failures of Keycloak (#12759: signed in without the OTP), authentik (#18639: MFA skipped),
 * Kratos (#4317: aal 2 from two email codes, other sessions alive) and GitLab (CVE-2023-7028: a
 * reset sent to a list of addresses), each tried here.
 */
describe('account recovery over the step API', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  /** Each test its own client address (TRUST_PROXY=1), so per-requester counts stay apart. */
  let networks = 0;
  const asClient = () => {
    networks += 1;
    const client = stepApiClient(stack.url);
    const headers = { 'x-forwarded-for': `198.51.100.${networks}` };
    return {
      start: () => client.call('POST', '/v1/journeys/recovery/start', { headers }),
      submit: (id: string, token: string, step: string, body: unknown) =>
        client.call('POST', `/v1/journeys/${id}/steps/${step}`, {
          headers: { ...headers, 'journey-token': token },
          body,
        }),
    };
  };
  const NEW_PASSWORD = 'difference engine 1822';
  const isRecoveryCode = (email: string) => (message: { to: string; subject: string }) =>
    message.to.includes(email) && message.subject.includes('account recovery code');
  const isResetNotice = (email: string) => (message: { to: string; subject: string }) =>
    message.to.includes(email) && message.subject.includes('password was reset');

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { TRUST_PROXY: '1' } });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  /** A recovery run past its inbox code: answers the run, its client and that answer. */
  async function pastInbox(email: string) {
    const client = asClient();
    const started = await client.start();
    expect(started.status).toBe(201);
    const { id, token } = started.body;
    expect(started.body.step.name).toBe('email');
    const asked = await client.submit(id, token, 'email', { email });
    expect(asked.body.step.name).toBe('verify-email');
    const mail = await smtp.waitFor(isRecoveryCode(email));
    const proven = await client.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
    expect(proven.status).toBe(200);
    return { client, id: id as string, token: token as string, answer: proven };
  }
  const whoami = (token: string) =>
    api.call('GET', '/v1/sessions/whoami', { headers: bearer(token) });

  it('recovers an account with TOTP enrolled: no session and no aal until the TOTP is proven, and whoami refuses anything the run produced before (Keycloak #12759, authentik #18639)', async () => {
    const customer = await signUp(api, smtp);
    const { secret } = await enrolTotp(api, customer.sessionToken);
    const run = await pastInbox(customer.email);
    // The inbox is proven, the account's factor is not: its step, and nothing else.
    expect(run.answer.body).toMatchObject({ status: 'active', step: { name: 'totp' } });
    expect(run.answer.body.result).toBeUndefined();
    expect((await whoami(run.token)).status).toBe(401);
    expect((await whoami(run.id)).status).toBe(401);
    // Nor does skipping to the new password do anything.
    const skipped = await run.client.submit(run.id, run.token, 'new-password', {
      password: NEW_PASSWORD,
    });
    expect(skipped.status).toBe(409);
    expect(skipped.body.code).toBe('step_not_current');

    const wrong = await run.client.submit(run.id, run.token, 'totp', { code: '000000' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.view.step.name).toBe('totp');
    const factor = await run.client.submit(run.id, run.token, 'totp', {
      code: await nextCode(secret),
    });
    expect(factor.body).toMatchObject({ status: 'active', step: { name: 'new-password' } });
    expect(factor.body.result).toBeUndefined();
    expect((await whoami(run.token)).status).toBe(401);

    const done = await run.client.submit(run.id, run.token, 'new-password', {
      password: NEW_PASSWORD,
    });
    expect(done.body).toMatchObject({
      status: 'completed',
      // The inbox is no authenticator and the password was set, not proven: one factor, aal 1.
      result: { type: 'session', user: { id: customer.userId }, session: { aal: 1, amr: ['otp'] } },
    });
    expect((await whoami(done.body.result.session.token)).body.identity.id).toBe(customer.userId);

    // The new password signs in (with the TOTP still asked), the old one no longer does.
    const old = await signIn(
      loginClientAt(stack.url, '198.51.100.250'),
      customer.email,
      customer.password,
    );
    expect(old.answer.body.code).toBe('invalid_credentials');
    const fresh = await signIn(
      loginClientAt(stack.url, '198.51.100.251'),
      customer.email,
      NEW_PASSWORD,
    );
    expect(fresh.answer.body.step.name).toBe('totp');
  });

  it('ends every other session of the account at once, opens its own, and tells every verified address with no link in the notice (Kratos #4317; ASVS 5.0 V7.4.3)', async () => {
    const customer = await signUp(api, smtp);
    const second = await signIn(
      loginClientAt(stack.url, '198.51.100.252'),
      customer.email,
      customer.password,
    );
    const otherSession = second.answer.body.result.session.token as string;
    // A second verified address of the same account, and an unverified one that is told nothing.
    const alias = freshEmail('alias');
    const unverified = freshEmail('unverified');
    await stack.prisma.identifier.createMany({
      data: [
        { userId: customer.userId, type: 'email', value: alias, verifiedAt: new Date() },
        { userId: customer.userId, type: 'email', value: unverified, verifiedAt: null },
      ],
    });
    expect((await whoami(customer.sessionToken)).status).toBe(200);

    const run = await pastInbox(customer.email);
    expect(run.answer.body.step.name).toBe('new-password');
    const done = await run.client.submit(run.id, run.token, 'new-password', {
      password: NEW_PASSWORD,
    });
    expect(done.body.status).toBe('completed');
    expect((await whoami(customer.sessionToken)).status).toBe(401);
    expect((await whoami(otherSession)).status).toBe(401);
    expect((await whoami(done.body.result.session.token)).status).toBe(200);

    for (const address of [customer.email, alias]) {
      const notice = await smtp.waitFor(isResetNotice(address), 15_000);
      expect(notice.text).not.toMatch(/https?:\/\//);
    }
    expect(
      await stack.prisma.outboundMessage.count({
        where: { recipient: unverified, template: 'password-reset' },
      }),
    ).toBe(0);
  });

  it('lifts the password lock of the account: the guesses counted against its address are gone (ASVS 5.0 V6.3.1)', async () => {
    const customer = await signUp(api, smtp);
    const key = identifierThrottleKey(stack.keyring, customer.email).name;
    const at = new Date(Date.now() - 60_000);
    // A hundred wrong guesses in a row lock the password (sign-in-lockout.test.ts).
    await stack.prisma.authThrottle.create({
      data: { key, failures: 100, windowStart: at, lastFailureAt: at },
    });
    const run = await pastInbox(customer.email);
    const done = await run.client.submit(run.id, run.token, 'new-password', {
      password: NEW_PASSWORD,
    });
    expect(done.body.status).toBe('completed');
    expect(await stack.prisma.authThrottle.findUnique({ where: { key } })).toBeNull();
    const after = await signIn(
      loginClientAt(stack.url, '198.51.100.254'),
      customer.email,
      NEW_PASSWORD,
    );
    expect(after.answer.body).toMatchObject({ status: 'completed', result: { type: 'session' } });
  });

  it('answers an address with no account exactly as one with an account, and sends it nothing (OWASP WSTG-IDNT-04)', async () => {
    const customer = await signUp(api, smtp);
    const nobody = freshEmail('nobody');
    const answersFor = async (email: string) => {
      const client = asClient();
      const { id, token } = (await client.start()).body;
      const asked = await client.submit(id, token, 'email', { email });
      const wrong = await client.submit(id, token, 'verify-email', { code: '000000' });
      const shape = (body: Record<string, unknown>) =>
        JSON.parse(
          JSON.stringify(body)
            .replaceAll(id, 'ID')
            .replaceAll(email, 'EMAIL')
            .replace(/"\d{4}-\d\d-\d\dT[^"]+"/g, '"TIME"'),
        );
      return [asked.status, shape(asked.body), wrong.status, shape(wrong.body)];
    };
    const known = await answersFor(customer.email);
    const unknown = await answersFor(nobody);
    expect(unknown).toEqual(known);
    // The known address got its code; the other nothing, though its run asked the same way.
    await smtp.waitFor(isRecoveryCode(customer.email));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.messages.filter((message) => message.to.includes(nobody))).toEqual([]);
    expect(
      await stack.prisma.outboundMessage.count({
        where: { recipient: nobody, status: 'suppressed' },
      }),
    ).toBe(1);
  });

  it('takes as long for an address with no account as for one with an account: the times are indistinguishable (ASVS 5.0 V6.3.8)', async () => {
    // Four codes per account stay under the per-address allowance (10 an hour); a client per run
    // stays under the per-requester one.
    const accounts = await Promise.all(Array.from({ length: 5 }, () => signUp(api, smtp)));
    const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
    const ask = async (kind: 'known' | 'unknown', email: string) => {
      const client = asClient();
      const { id, token } = (await client.start()).body;
      const started = performance.now();
      const asked = await client.submit(id, token, 'email', { email });
      times[kind].push(performance.now() - started);
      expect(asked.body.step.name).toBe('verify-email');
    };
    for (let round = 0; round < 4; round += 1)
      for (const account of accounts) {
        // Interleaved, so whatever else the machine does falls on both alike.
        await ask('known', account.email);
        await ask('unknown', freshEmail('nobody'));
      }
    expect(Math.abs(mannWhitneyZ(times.known, times.unknown))).toBeLessThan(3.29); // p > 0.001
  });

  it('refuses an address list or an array in the body, sending nothing (GitLab CVE-2023-7028)', async () => {
    const customer = await signUp(api, smtp);
    const attacker = freshEmail('attacker');
    const client = asClient();
    const { id, token } = (await client.start()).body;
    for (const email of [
      [customer.email, attacker],
      `${customer.email},${attacker}`,
      `${customer.email}; ${attacker}`,
      `"${customer.email}" <${attacker}>`,
    ]) {
      const refused = await client.submit(id, token, 'email', { email });
      expect(refused.status).toBe(422);
      expect(refused.body.errors[0].path).toBe('/email');
    }
    const extra = await client.submit(id, token, 'email', { email: customer.email, cc: attacker });
    expect(extra.status).toBe(422);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.messages.filter((message) => message.to.includes(attacker))).toEqual([]);
  });

  it('refuses a new password under the policy at its step and keeps the run there', async () => {
    const customer = await signUp(api, smtp);
    const run = await pastInbox(customer.email);
    const weak = await run.client.submit(run.id, run.token, 'new-password', { password: 'short' });
    expect(weak.status).toBe(422);
    expect(weak.body.errors[0].path).toBe('/password');
    const done = await run.client.submit(run.id, run.token, 'new-password', {
      password: NEW_PASSWORD,
    });
    expect(done.body.status).toBe('completed');
  });
});
