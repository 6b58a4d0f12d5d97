import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../src/activities/index.js';
import { subscriptionActivities } from '../../src/activities/subscriptions/subscriptions.js';
import { createEncryptionCodec } from '../../src/security/payload-codec.js';
import { startApiVariant } from '../support/api-variant.js';
import { eventually } from '../support/eventually.js';
import { decodedHistoryText, digitsPattern } from '../support/history-text.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { freshEmail } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

describe('newsletter@1 over the step API, on real Temporal, Postgres and SMTP', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  const subscriptionOf = (address: string) =>
    stack.prisma.subscription.findUnique({
      where: { list_address: { list: 'newsletter', address } },
    });
  /** Starts a run and subscribes an address: the answers, and the run now at the confirm step. */
  async function subscribe(client: ReturnType<typeof stepApiClient>, email: string) {
    const started = await client.start('newsletter');
    const { id, token } = started.body;
    const asked = await client.submit(id, token, 'subscribe', { email });
    return { started, asked, id, token };
  }

  /** The mails to `address` so far, in the order received, once there are `count`. */
  const eventuallyMails = (address: string, count: number) =>
    eventually(`${count} mail(s) to ${address}`, async () => {
      const mails = smtp.messages.filter((message) => message.to.includes(address));
      return mails.length >= count ? mails : undefined;
    });

  it('subscribes: a code by email, confirmed at the confirm step, the subscription recorded', async () => {
    const email = freshEmail('reader');
    const started = await api.start('newsletter');
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      journey: 'newsletter',
      version: 1,
      status: 'active',
      step: { name: 'subscribe', data: { list: 'newsletter', policyVersion: '2026-11-01' } },
    });
    const { id, token } = started.body;

    const asked = await api.submit(id, token, 'subscribe', { email });
    expect(asked.status).toBe(200);
    expect(asked.body.step).toMatchObject({ name: 'confirm', data: { email, codeLength: 6 } });
    const mail = await smtp.waitFor((message) => message.to.includes(email));
    expect(mail.subject).toBe('Confirm your subscription to Parcours news');
    const code = codeIn(mail.text);

    const refused = await api.submit(id, token, 'confirm', {
      code: code === '000000' ? '111111' : '000000',
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'invalid_code' });
    expect(await subscriptionOf(email)).toBeNull();

    const done = await api.submit(id, token, 'confirm', { code });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', result: { type: 'none' } });
    expect(await subscriptionOf(email)).toMatchObject({
      list: 'newsletter',
      address: email,
      policyVersion: '2026-11-01',
      journeyId: id,
      confirmedAt: expect.any(Date),
    });

    // The code reached the run as a vault reference only.
    const history = await stack.temporal.workflow.getHandle(id).fetchHistory();
    const text = await decodedHistoryText(history, (payloads) =>
      createEncryptionCodec(stack.keyring, stack.runKeys).decode(payloads),
    );
    expect(text).toContain('recordSubscription');
    expect(text).not.toMatch(digitsPattern(code));
  });

  it('answers an address already subscribed exactly like a new one, and confirms it again in its one row', async () => {
    const email = freshEmail('again');
    const attempt = async () => {
      const { id, token, started, asked } = await subscribe(api, email);
      const wrong = await api.submit(id, token, 'confirm', { code: '000000' });
      // What an app could compare: statuses, and bodies without ids, tokens and times.
      const shape = (body: unknown) =>
        JSON.stringify(body, (key, value) =>
          ['id', 'token', 'expiresAt', 'resendAvailableAt'].includes(key) ? typeof value : value,
        );
      return {
        id,
        token,
        answers: [started.status, shape(started.body), asked.status, shape(asked.body)].concat(
          wrong.status,
          shape(wrong.body),
        ),
      };
    };
    const confirm = async (run: { id: string; token: string }, nth: number) => {
      const mails = await eventuallyMails(email, nth);
      return api.submit(run.id, run.token, 'confirm', {
        code: codeIn((mails[nth - 1] as { text: string }).text),
      });
    };

    const first = await attempt();
    expect((await confirm(first, 1)).body).toMatchObject({ status: 'completed' });
    const subscribed = await subscriptionOf(email);

    const second = await attempt();
    expect(second.answers).toEqual(first.answers);
    expect((await confirm(second, 2)).body).toMatchObject({ status: 'completed' });
    const rows = await stack.prisma.subscription.findMany({ where: { address: email } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: subscribed?.id, journeyId: second.id });
  });

  it('records a subscription once per run: a retry leaves the row as it was, another run confirms it again', async () => {
    let clock = new Date('2026-12-01T10:00:00.000Z');
    const { recordSubscription } = subscriptionActivities({
      prisma: stack.prisma,
      now: () => clock,
    } as ActivityDeps);
    const address = freshEmail('retried');
    const confirmation = { list: 'newsletter', address, policyVersion: '2026-11-01' };
    // Each call inside its run, as Temporal makes it: the run's id is its workflow id.
    const inRun = (journeyId: string, input: typeof confirmation) =>
      new MockActivityEnvironment({
        workflowExecution: { workflowId: journeyId, runId: 'run' },
        activityId: '1',
      }).run(recordSubscription, { ...input, journeyId });
    const first = await inRun('jrn_first', confirmation);
    clock = new Date('2026-12-01T10:00:05.000Z');
    expect(await inRun('jrn_first', confirmation)).toEqual(first);
    expect(await subscriptionOf(address)).toMatchObject({
      journeyId: 'jrn_first',
      confirmedAt: new Date('2026-12-01T10:00:00.000Z'),
    });

    const again = await inRun('jrn_second', { ...confirmation, policyVersion: '2027-01-15' });
    expect(again).toEqual(first);
    expect(await subscriptionOf(address)).toMatchObject({
      journeyId: 'jrn_second',
      policyVersion: '2027-01-15',
      confirmedAt: new Date('2026-12-01T10:00:05.000Z'),
    });
  });

  it('reminds an unconfirmed address with a fresh code, then ends the run expired at its lifetime', async () => {
    // The delays shortened as a deployment would set them: the reminder by the journey's settings,
    // the 7-day lifetime by the API's.
    const brief = await startApiVariant(stack, {
      journeySettings: { newsletter: { reminderAfterMs: 2_000 } },
      journeyLifetimeMs: 7_000,
    });
    try {
      const client = stepApiClient(brief.url);
      const email = freshEmail('forgetful');
      const { id, token } = await subscribe(client, email);
      const [first] = await eventuallyMails(email, 1);
      expect(smtp.messages.filter((message) => message.to.includes(email))).toHaveLength(1);

      const [, reminder] = await eventuallyMails(email, 2);
      expect(reminder?.subject).toBe('Confirm your subscription to Parcours news');
      expect(codeIn(reminder?.text as string)).not.toBe(codeIn(first?.text as string));

      // No one confirms: the run ends at its lifetime, expired at the confirm step.
      const result = await stack.temporal.workflow.getHandle(id).result();
      expect(result).toMatchObject({ status: 'expired', step: { name: 'confirm' } });
      expect((await client.get(id, token)).body).toMatchObject({
        status: 'expired',
        restart: { method: 'POST', href: '/v1/journeys/newsletter/start' },
      });
      const late = await client.submit(id, token, 'confirm', {
        code: codeIn(reminder?.text as string),
      });
      expect(late.status).toBe(410);
      expect(late.body).toMatchObject({ code: 'journey_expired' });
      expect(await subscriptionOf(email)).toBeNull();
      // One reminder only.
      expect(smtp.messages.filter((message) => message.to.includes(email))).toHaveLength(2);
    } finally {
      await brief.stop();
    }
  });
});
