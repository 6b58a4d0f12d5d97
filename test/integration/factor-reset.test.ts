import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn, stepApiClient } from '../support/http.js';
import { enrolTotp, loginClientAt, nextCode, signIn } from '../support/sign-in.js';
import { signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

/** The waiting period, short here: the same Temporal timers as the 72 hours of production. */
const WAIT_MS = 6_000;

/**
 * factor-reset@1 over the step API, on real Temporal, Postgres and SMTP, its waiting period made
 * short by setting: the owner told at once, a day (here: 3 s) before and after; the factors gone
 * when the timer fires and a new one asked at the next sign-in; a sign-in with a factor the
 * account still has stops it.
 */
describe('a reset of lost factors after a waiting period', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  let networks = 0;
  const login = () => loginClientAt(stack.url, `198.51.100.${++networks}`);

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({
      smtpUrl: smtp.url,
      env: { TRUST_PROXY: '1' },
      journeySettings: { 'factor-reset': { waitMs: WAIT_MS, reminderBeforeMs: 3_000 } },
    });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  /** A customer with an authenticator app, who then asks for a reset: the answer. */
  async function resetAsked() {
    const customer = await signUp(api, smtp);
    const totp = await enrolTotp(api, customer.sessionToken);
    const started = await api.start('factor-reset');
    const { id, token } = started.body;
    await api.submit(id, token, 'email', { email: customer.email });
    const mail = await smtp.waitFor(
      (message) => message.to.includes(customer.email) && message.subject.includes('recovery code'),
    );
    const answer = await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
    return { customer, totp, answer, id };
  }
  const noticeTo = (email: string, words: string, timeoutMs = 20_000) =>
    smtp.waitFor(
      (message) => message.to.includes(email) && message.subject.includes(words),
      timeoutMs,
    );
  const factorsOf = (userId: string) =>
    stack.prisma.credential.count({
      where: { userId, type: { in: ['totp', 'webauthn', 'sms', 'recovery_code'] } },
    });

  it('removes every factor when the period has run, telling the owner at once, before and after; the next sign-in asks for a new one', async () => {
    const { customer, answer } = await resetAsked();
    // The customer's part is done: the answer says when.
    expect(answer.body).toMatchObject({
      status: 'completed',
      result: { type: 'scheduled', at: expect.any(String) },
    });
    const due = Date.parse(answer.body.result.at);
    expect(due - Date.now()).toBeGreaterThan(WAIT_MS - 3_000);
    const scheduled = await noticeTo(customer.email, 'will be removed');
    expect(scheduled.text).toContain('sign in once with a second factor you still have');
    expect(await factorsOf(customer.userId)).toBeGreaterThan(0);
    await noticeTo(customer.email, 'Tomorrow');
    await noticeTo(customer.email, 'were removed');
    expect(await factorsOf(customer.userId)).toBe(0);
    expect(Date.now()).toBeGreaterThanOrEqual(due);

    const signedIn = await signIn(login(), customer.email, customer.password);
    expect(signedIn.answer.body.result).toMatchObject({
      session: { aal: 1, amr: ['pwd'] },
      required: { journey: 'mfa-enrolment', reason: 'factors_reset' },
    });
  });

  it('is stopped by a sign-in with a factor the account still has: nothing removed, no last notice', async () => {
    const { customer, totp } = await resetAsked();
    await noticeTo(customer.email, 'will be removed');
    const client = login();
    const run = await signIn(client, customer.email, customer.password);
    const factor = await client.submit(run.id, run.token, 'totp', {
      code: await nextCode(totp.secret),
    });
    expect(factor.body.result.session.aal).toBe(2);
    const reset = await stack.prisma.factorReset.findFirstOrThrow({
      where: { userId: customer.userId },
    });
    expect(reset.cancelledAt).not.toBeNull();
    // Past the period: still every factor, and no notice of a removal.
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS + 2_000));
    expect(await factorsOf(customer.userId)).toBeGreaterThan(0);
    expect(
      smtp.messages.filter(
        (message) =>
          message.to.includes(customer.email) && message.subject.includes('were removed'),
      ),
    ).toEqual([]);
  });
});
