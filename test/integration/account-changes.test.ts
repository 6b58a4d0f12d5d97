import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepApiClient } from '../support/http.js';
import { expectProblem } from '../support/raw-http.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { createSoftAuthenticator } from '../support/soft-authenticator.js';
import { type Stack, startStack } from '../support/stack.js';

/*
 * Security review, item 4: factors and the email address changed at aal 1 on an account that has
 * MFA, a password alone minted recovery codes, and a logout did not stop an enrolment in progress.
 * What changes how an account authenticates, or where its codes go, asks for the account's highest
 * level (NIST SP 800-63B-4 §4.1.2), is re-checked live when committed, and is told to the owner
 * (ASVS 5.0 V6.3.7). Item 9: sessions end when left idle (ASVS 5.0 V7.3.1).
 */
describe('changes to how an account authenticates', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  let origin: string;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { SESSION_IDLE_HOURS: '1' } });
    api = stepApiClient(stack.url);
    origin = stack.config.webauthn.origins[0] as string;
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  const start = (journey: string, sessionToken: string, body: Record<string, unknown> = {}) =>
    api.call('POST', `/v1/journeys/${journey}/start`, { headers: bearer(sessionToken), body });

  /** A customer with an authenticator app (their first factor), from their aal 1 session. */
  async function withTotp() {
    const customer = await signUp(api, smtp);
    const started = await start('mfa-enrolment', customer.sessionToken);
    const { id, token } = started.body;
    const secret = started.body.step.data.secret as string;
    const shown = await api.submit(id, token, 'confirm-totp', { code: await generate({ secret }) });
    expect(shown.body.step.name).toBe('recovery-codes');
    await api.submit(id, token, 'recovery-codes', { saved: true });
    return { ...customer, secret };
  }

  const noticeTo = (email: string, subject: RegExp) =>
    smtp.waitFor((message) => message.to.includes(email) && subject.test(message.subject));

  it('tells the owner when a factor is added, and when one is removed (ASVS 5.0 V6.3.7)', async () => {
    const customer = await withTotp();
    const added = await noticeTo(customer.email, /second factor was added/);
    expect(added.text).toContain('An authenticator app was just added');
    expect(added.text).not.toContain(customer.secret);
    const stepUp = await start('step-up', customer.sessionToken, { aal: 2 });
    const raised = await api.submit(stepUp.body.id, stepUp.body.token, 'totp', {
      code: await generate({ secret: customer.secret, epoch: Date.now() / 1000 + 30 }),
    });
    const strong = raised.body.result.session.token as string;
    const factors = await api.call('GET', '/v1/sessions/factors', { headers: bearer(strong) });
    const totp = factors.body.factors.find((factor: { type: string }) => factor.type === 'totp');
    const removed = await start('factor-removal', strong, { factor: totp.id });
    expect(removed.body.status).toBe('completed');
    const notice = await noticeTo(customer.email, /second factor was removed/);
    expect(notice.text).toContain('An authenticator app was just removed');
  });

  it('sends an aal 1 session of an account with a TOTP key to step up before it adds a factor, makes recovery codes or changes the address (NIST SP 800-63B-4 §4.1.2)', async () => {
    const customer = await withTotp();
    for (const [journey, body] of [
      ['mfa-enrolment', { factor: 'totp' }],
      ['mfa-enrolment', { factor: 'passkey' }],
      ['mfa-enrolment', { factor: 'recovery_codes' }],
      ['email-change', {}],
    ] as const) {
      const refused = await start(journey, customer.sessionToken, body);
      expectProblem(refused, 403, 'stronger_authentication_required');
      expect(refused.body).toMatchObject({
        requirement: { aal: 2 },
        step_up: { href: '/v1/journeys/step-up/start', body: { aal: 2 } },
      });
    }
    expect(
      await stack.prisma.credential.count({ where: { userId: customer.userId, type: 'totp' } }),
    ).toBe(1);
    // Stepped up with the app's code, the same session may.
    const stepUp = await start('step-up', customer.sessionToken, { aal: 2 });
    const raised = await api.submit(stepUp.body.id, stepUp.body.token, 'totp', {
      code: await generate({ secret: customer.secret, epoch: Date.now() / 1000 + 30 }),
    });
    expect(raised.body.status).toBe('completed');
    const strong = raised.body.result.session.token as string;
    expect((await start('email-change', strong)).status).toBe(201);
  });

  it('makes no recovery codes for an account with no strong factor: they would be a second factor minted by a password', async () => {
    const customer = await signUp(api, smtp);
    const refused = await start('mfa-enrolment', customer.sessionToken, {
      factor: 'recovery_codes',
    });
    expect(refused.body).toMatchObject({
      status: 'failed',
      error: { code: 'second_factor_required' },
    });
    expect(await stack.prisma.credential.count({ where: { userId: customer.userId } })).toBe(1); // the password
  });

  it('keeps no passkey whose enrolment finishes after its session logged out', async () => {
    const customer = await signUp(api, smtp);
    const started = await start('mfa-enrolment', customer.sessionToken, { factor: 'passkey' });
    const credential = createSoftAuthenticator().register({
      creationOptions: started.body.step.data.options,
      origin,
    });
    expect(
      (await api.call('DELETE', '/v1/sessions/current', { headers: bearer(customer.sessionToken) }))
        .status,
    ).toBe(204);
    const answer = await api.submit(started.body.id, started.body.token, 'register-passkey', {
      credential,
    });
    expect(answer.body).toMatchObject({ status: 'failed', error: { code: 'session_required' } });
    expect(
      await stack.prisma.credential.count({
        where: { userId: customer.userId, type: 'webauthn' },
      }),
    ).toBe(0);
  });

  it('keeps no TOTP key whose confirmation comes after its session logged out', async () => {
    const customer = await signUp(api, smtp);
    const started = await start('mfa-enrolment', customer.sessionToken);
    await api.call('DELETE', '/v1/sessions/current', { headers: bearer(customer.sessionToken) });
    const answer = await api.submit(started.body.id, started.body.token, 'confirm-totp', {
      code: await generate({ secret: started.body.step.data.secret }),
    });
    expect(answer.body).toMatchObject({ status: 'failed', error: { code: 'session_required' } });
    expect(
      await stack.prisma.credential.count({
        where: { userId: customer.userId, type: 'totp', confirmedAt: { not: null } },
      }),
    ).toBe(0);
  });

  it('ends a session left idle longer than SESSION_IDLE_HOURS, and keeps one in use (ASVS 5.0 V7.3.1)', async () => {
    const idle = await signUp(api, smtp);
    const used = await signUp(api, smtp);
    const whoami = (token: string) =>
      api.call('GET', '/v1/sessions/whoami', { headers: bearer(token) });
    expect((await whoami(used.sessionToken)).status).toBe(200);
    // An hour and a minute since either was last used; `used` is used again just inside its hour.
    const longAgo = new Date(Date.now() - 61 * 60_000);
    await stack.prisma.session.updateMany({
      where: { userId: idle.userId },
      data: { lastSeenAt: longAgo },
    });
    await stack.prisma.session.updateMany({
      where: { userId: used.userId },
      data: { lastSeenAt: new Date(Date.now() - 59 * 60_000) },
    });
    expectProblem(await whoami(idle.sessionToken), 401, 'session_required');
    expect((await whoami(used.sessionToken)).status).toBe(200);
    // That use counted: the session's idle clock starts again.
    const row = await stack.prisma.session.findFirstOrThrow({ where: { userId: used.userId } });
    expect(Date.now() - row.lastSeenAt.getTime()).toBeLessThan(60_000);
    // An idle session starts nothing either.
    expectProblem(await start('mfa-enrolment', idle.sessionToken), 401, 'session_required');
  });
});
