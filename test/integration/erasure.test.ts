import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncryptionCodec, ShreddedPayloadError } from '../../src/security/payload-codec.js';
import { eventually } from '../support/eventually.js';
import { payloadsIn, rawHistoryText } from '../support/history-text.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { expectProblem } from '../support/raw-http.js';
import { bearer, freshEmail } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'erasure-test-operator-key-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const PASSWORD = 'analytical engine 1843';
/** The grace period, short here: the same Temporal timer as production's 30 days. */
const GRACE_MS = 5_000;

/*
 * erasure@1 over the step API on real Temporal, Postgres and SMTP (GDPR Art. 17): blocked at once,
 * cancelled by a sign-in, suspended by a legal hold, and after the grace period nothing of the
 * customer left readable, in the database or in the Temporal histories of their runs (their keys
 * destroyed: crypto-shredding), while the funnels keep their counts.
 */
describe('erasure of a customer after a grace period', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  let shopSecret: string;
  const shop = () => ({
    authorization: `Basic ${Buffer.from(`shop:${shopSecret}`).toString('base64')}`,
  });

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({
      smtpUrl: smtp.url,
      env: { PARCOURS_ADMIN_KEY: ADMIN_KEY },
      journeySettings: { erasure: { graceMs: GRACE_MS } },
    });
    api = stepApiClient(stack.url);
    const added = await api.call('POST', '/v1/admin/apps', {
      headers: admin,
      body: { id: 'shop', name: 'Shop', kind: 'first_party', attributes: ['given_name', 'email'] },
    });
    shopSecret = added.body.client_secret;
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  async function signIn(email: string) {
    const started = await api.call('POST', '/v1/journeys/login/start', {
      body: { client_id: 'shop' },
    });
    const done = await api.call('POST', `/v1/journeys/${started.body.id}/steps/identify`, {
      headers: { 'journey-token': started.body.token },
      body: { email, password: PASSWORD },
    });
    return { run: started.body.id as string, answer: done };
  }

  /** A customer registered and signed in through the shop, with a profile and app data. */
  async function customer() {
    const email = freshEmail('erase');
    const givenName = `Ada-${randomUUID().slice(0, 8)}`;
    const started = await api.start('registration');
    const { id, token } = started.body;
    await api.submit(id, token, 'credentials', { email, password: PASSWORD });
    const mail = await smtp.waitFor((message) => message.to.includes(email));
    await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
    const done = await api.submit(id, token, 'terms', {
      accept: true,
      policyVersion: '2026-11-01',
    });
    expect(done.body.status).toBe('completed');
    const userId = done.body.result.user.id as string;
    const login = await signIn(email);
    const session = login.answer.body.result.session.token as string;
    await api.call('PATCH', '/v1/me', {
      headers: bearer(session),
      body: { given_name: givenName },
    });
    await api.call('PUT', `/v1/apps/me/users/${userId}/data`, {
      headers: shop(),
      body: { favourite: givenName },
    });
    return { email, givenName, userId, session, runs: [id as string, login.run] };
  }

  const erase = async (session: string) => {
    const asked = await api.call('DELETE', '/v1/me', { headers: bearer(session), body: {} });
    expect(asked.status).toBe(201);
    return asked;
  };

  it('blocks at once: every session ends, apps cannot reach the account, and the customer is told the day', async () => {
    const { email, userId, session } = await customer();
    const asked = await erase(session);
    expect(asked.body).toMatchObject({
      journey: 'erasure',
      status: 'completed',
      result: { type: 'scheduled', at: expect.any(String) },
    });
    const notice = await smtp.waitFor(
      (message) => message.to.includes(email) && /will be erased/.test(message.subject),
    );
    expect(notice.text).toContain('Sign in before then');
    expectProblem(
      await api.call('GET', '/v1/me', { headers: bearer(session) }),
      401,
      'session_required',
    );
    expectProblem(
      await api.call('GET', `/v1/apps/me/users/${userId}/profile`, { headers: shop() }),
      404,
      'user_not_found',
    );
  });

  it('refuses erasure from a sign-in older than 15 minutes (step_up) and schedules nothing', async () => {
    const { userId, session } = await customer();
    const hourAgo = new Date(Date.now() - 3_600_000);
    await stack.prisma.session.updateMany({
      where: { userId },
      data: { authTime: hourAgo, factorAuthTimes: { pwd: hourAgo.toISOString() } },
    });
    const refused = await api.call('DELETE', '/v1/me', { headers: bearer(session), body: {} });
    expect(refused.status).toBe(403);
    expect(refused.body.step_up).toBeDefined();
    expect(await stack.prisma.erasure.count({ where: { userId } })).toBe(0);
  });

  it('is cancelled by a sign-in during the grace period, which keeps everything and tells the customer', async () => {
    const { email, givenName, userId, session } = await customer();
    const asked = await erase(session);
    const back = await signIn(email);
    expect(back.answer.body).toMatchObject({ status: 'completed', result: { type: 'session' } });
    await smtp.waitFor(
      (message) => message.to.includes(email) && /not be erased/.test(message.subject),
    );
    // Past the day it was due: the run ended and erased nothing.
    await eventually(
      'the erasure run ended',
      async () => {
        const described = await stack.temporal.workflow.getHandle(asked.body.id).describe();
        return described.status.name === 'COMPLETED' ? described : undefined;
      },
      GRACE_MS + 15_000,
    );
    const erasure = await stack.prisma.erasure.findFirstOrThrow({ where: { userId } });
    expect(erasure.cancelledAt).not.toBeNull();
    expect(erasure.completedAt).toBeNull();
    const profile = await api.call('GET', `/v1/apps/me/users/${userId}/profile`, {
      headers: shop(),
    });
    expect(profile.body).toMatchObject({ sub: userId, email, given_name: givenName });
  });

  it('waits while a legal hold stands (GDPR Art. 17(3)(e)), and erases when the operator lifts it', async () => {
    const { userId, session } = await customer();
    const held = await api.call('PUT', `/v1/admin/users/${userId}/legal-hold`, {
      headers: admin,
      body: { reason: 'Litigation hold, case 2026-117' },
    });
    expect(held.status).toBe(200);
    const asked = await erase(session);
    // Past the day: the run ended, and the account is still there, still blocked.
    await eventually(
      'the erasure run ended on the hold',
      async () => {
        const described = await stack.temporal.workflow.getHandle(asked.body.id).describe();
        return described.status.name === 'COMPLETED' ? described : undefined;
      },
      GRACE_MS + 15_000,
    );
    expect(await stack.prisma.user.findUnique({ where: { id: userId } })).toMatchObject({
      status: 'erasure_pending',
    });
    const lifted = await api.call('DELETE', `/v1/admin/users/${userId}/legal-hold`, {
      headers: admin,
    });
    expect(lifted.body).toEqual({ user: userId, erased: true });
    expect(await stack.prisma.user.count({ where: { id: userId } })).toBe(0);
  });

  it('leaves the email nowhere in the database nor in a decoded history of its runs, and funnels keep their counts', async () => {
    const { email, givenName, userId, session, runs } = await customer();
    // A sign-in with a wrong password: nothing but the address it was handed links it to them.
    const started = await api.call('POST', '/v1/journeys/login/start', { body: {} });
    const wrong = await api.call('POST', `/v1/journeys/${started.body.id}/steps/identify`, {
      headers: { 'journey-token': started.body.token },
      body: { email, password: 'not the password at all' },
    });
    expect(JSON.stringify(wrong.body)).toContain('invalid_credentials');
    runs.push(started.body.id);
    const codec = createEncryptionCodec(stack.keyring, stack.runKeys);
    /** Every payload of a run's history decoded where it still can be; the shredded ones counted. */
    const readable = async (run: string) => {
      const history = await stack.temporal.workflow.getHandle(run).fetchHistory();
      let shredded = 0;
      let text = rawHistoryText(history);
      for (const { payload } of payloadsIn(history)) {
        try {
          const [decoded] = await codec.decode([payload]);
          text += JSON.stringify(defaultPayloadConverter.fromPayload(decoded as Payload));
        } catch (error) {
          if (!(error instanceof ShreddedPayloadError)) continue;
          shredded += 1;
        }
      }
      return { text, shredded };
    };
    // Before: the registration's history holds the email, readable with the keys.
    await eventually('the registration recorded', async () =>
      (await stack.prisma.journeyEvent.count({ where: { journeyId: runs[0], type: 'completed' } }))
        ? true
        : undefined,
    );
    expect((await readable(runs[0] as string)).text).toContain(email);
    const counted = () =>
      stack.prisma.journeyEvent.count({ where: { journey: 'registration', type: 'completed' } });
    const completedBefore = await counted();

    await erase(session);
    await eventually(
      'the account erased',
      async () =>
        (await stack.prisma.user.count({ where: { id: userId } })) === 0 ? true : undefined,
      GRACE_MS + 20_000,
    );

    // The database: every row of every table, as text.
    const tables = await stack.prisma.$queryRaw<Array<{ tablename: string }>>`
      SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`;
    for (const { tablename } of tables) {
      const rows = await stack.prisma.$queryRawUnsafe<Array<{ row: string }>>(
        `SELECT row_to_json(t)::text AS row FROM "${tablename}" t`,
      );
      const text = rows
        .map((row) => row.row)
        .join('\n')
        .toLowerCase();
      expect(text, tablename).not.toContain(email.toLowerCase());
      expect(text, tablename).not.toContain(givenName.toLowerCase());
    }
    // Temporal: the histories of the runs that acted for the customer, decoded with every key left.
    stack.runKeys.forget(runs);
    for (const run of runs) {
      const { text, shredded } = await readable(run);
      expect(shredded, run).toBeGreaterThan(0);
      expect(text, run).not.toContain(email);
      expect(text, run).not.toContain(givenName);
    }
    // The funnels: the registration still counted, under an id that names no one.
    expect(await counted()).toBe(completedBefore);
    expect(await stack.prisma.journeyEvent.count({ where: { journeyId: { in: runs } } })).toBe(0);
  });
});
