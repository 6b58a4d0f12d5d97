import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepApiClient } from '../support/http.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'profiling-test-operator-key-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

describe('progressive-profiling@1 after login, on real Temporal and Postgres', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
    api = stepApiClient(stack.url);
    const added = await api.call('POST', '/v1/admin/apps', {
      headers: admin,
      body: {
        id: 'web',
        name: 'Web',
        kind: 'first_party',
        profiling: {
          questions: [
            { attribute: 'given_name', at_sign_in: 3 },
            { attribute: 'family_name', at_sign_in: 3 },
            { attribute: 'birthdate', moment: 'first_purchase' },
            // Operator-only: never asked, and refused if answered all the same.
            { attribute: 'support_tier', moment: 'checkout' },
            { attribute: 'locale', moment: 'checkout' },
          ],
          max_fields_per_step: 1,
          ask_again_after_seconds: 2,
        },
      },
    });
    expect(added.status).toBe(201);
    const declared = await api.call('POST', '/v1/admin/attributes', {
      headers: admin,
      body: {
        name: 'support_tier',
        schema: { enum: ['basic', 'premium'] },
        readers: ['customer', 'operator'],
        writers: ['operator'],
      },
    });
    expect(declared.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  async function signInThroughWeb(email: string, password: string) {
    const started = await api.call('POST', '/v1/journeys/login/start', {
      body: { client_id: 'web' },
    });
    expect(started.status).toBe(201);
    const done = await api.submit(started.body.id, started.body.token, 'identify', {
      email,
      password,
    });
    expect(done.body).toMatchObject({ status: 'completed', result: { type: 'session' } });
    return done.body.result as {
      session: { token: string };
      continue_with?: Array<{
        journey: string;
        start: { href: string; body: Record<string, unknown> };
      }>;
    };
  }

  async function runProfiling(sessionToken: string, body: Record<string, unknown>) {
    return api.call('POST', '/v1/journeys/progressive-profiling/start', {
      headers: bearer(sessionToken),
      body,
    });
  }

  it('asks at the third sign-in, one question a step; a skip comes back after the delay, never in that session', async () => {
    const customer = await signUp(api, smtp);
    expect(
      (await signInThroughWeb(customer.email, customer.password)).continue_with,
    ).toBeUndefined();
    expect(
      (await signInThroughWeb(customer.email, customer.password)).continue_with,
    ).toBeUndefined();
    const third = await signInThroughWeb(customer.email, customer.password);
    expect(third.continue_with).toEqual([
      {
        action: 'run_journey',
        journey: 'progressive-profiling',
        start: {
          method: 'POST',
          href: '/v1/journeys/progressive-profiling/start',
          body: { client_id: 'web' },
        },
      },
    ]);
    const next = third.continue_with?.[0];
    const run = await runProfiling(third.session.token, next?.start.body ?? {});
    expect(run.status).toBe(201);
    expect(run.body.step).toMatchObject({
      name: 'profile',
      data: { client_id: 'web', questions: [{ attribute: 'given_name' }] },
    });
    // The step's schema is drawn from the question: given_name's own schema.
    expect(run.body.step.schema.oneOf[0].properties.answers.properties).toEqual({
      given_name: { type: 'string', minLength: 1, maxLength: 100 },
    });
    const { id, token } = run.body;
    // An answer the catalogue refuses stays at the step, with its path.
    const refused = await api.submit(id, token, 'profile', { answers: { given_name: '' } });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: '/answers/given_name', code: 'too_small' }),
    ]);
    // An attribute not asked (an operator-only one, say) is refused too.
    const unasked = await api.submit(id, token, 'profile', { answers: { family_name: 'X' } });
    expect(unasked.status).toBe(422);
    expect(unasked.body.errors).toEqual([
      expect.objectContaining({ path: '/answers/family_name' }),
    ]);
    // Skip given_name: the next question is family_name.
    const second = await api.submit(id, token, 'profile', { answers: {} });
    expect(second.body.step).toMatchObject({ data: { questions: [{ attribute: 'family_name' }] } });
    const done = await api.submit(id, token, 'profile', { answers: { family_name: 'Lovelace' } });
    expect(done.body).toMatchObject({ status: 'completed', result: { type: 'none' } });

    // The same session, again: the skipped question rests (never twice in one sign-in).
    const again = await runProfiling(third.session.token, { client_id: 'web' });
    expect(again.body).toMatchObject({ status: 'completed' });
    // A later sign-in, after the app's 2-second delay: it comes back.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const fourth = await signInThroughWeb(customer.email, customer.password);
    expect(fourth.continue_with?.[0]?.journey).toBe('progressive-profiling');
    const back = await runProfiling(fourth.session.token, { client_id: 'web' });
    expect(back.body.step.data.questions).toEqual([
      expect.objectContaining({ attribute: 'given_name' }),
    ]);
    await api.submit(back.body.id, back.body.token, 'profile', { answers: { given_name: 'Ada' } });
    const me = await api.call('GET', '/v1/me', { headers: bearer(fourth.session.token) });
    expect(me.body).toMatchObject({ given_name: 'Ada', family_name: 'Lovelace' });
    // Nothing is left to ask: the next sign-in names no journey.
    expect(
      (await signInThroughWeb(customer.email, customer.password)).continue_with,
    ).toBeUndefined();
  });

  it('asks at the moment the app signals, and records asked, answered and skipped per attribute', async () => {
    const customer = await signUp(api, smtp);
    const run = await runProfiling(customer.sessionToken, {
      client_id: 'web',
      moment: 'first_purchase',
    });
    expect(run.body.step.data.questions).toEqual([
      expect.objectContaining({ attribute: 'birthdate' }),
    ]);
    await api.submit(run.body.id, run.body.token, 'profile', { skip: true });
    const rows = await stack.prisma.profilingQuestion.findMany({
      where: { journeyId: run.body.id },
    });
    expect(rows).toEqual([expect.objectContaining({ attribute: 'birthdate', outcome: 'skipped' })]);
    // The analysts' view: per attribute and app, every run of this file counted exactly.
    const funnel = await api.call('GET', '/v1/analytics/profiling/questions?client_id=web', {
      headers: admin,
    });
    expect(funnel.status).toBe(200);
    const byAttribute = Object.fromEntries(
      funnel.body.questions.map((row: { attribute: string }) => [row.attribute, row]),
    );
    const counted = await stack.prisma.profilingQuestion.groupBy({
      by: ['attribute', 'outcome'],
      _count: true,
    });
    for (const attribute of ['given_name', 'family_name', 'birthdate']) {
      const of = (outcome: string | null) =>
        counted.find((row) => row.attribute === attribute && row.outcome === outcome)?._count ?? 0;
      expect(byAttribute[attribute], attribute).toMatchObject({
        client_id: 'web',
        asked: of('answered') + of('skipped') + of(null),
        answered: of('answered'),
        skipped: of('skipped'),
        unanswered: of(null),
      });
    }
    expect(byAttribute.birthdate.skipped).toBeGreaterThanOrEqual(1);
    // The journey's own funnel carries the same counts, and the dashboard shows them.
    const report = await api.call('GET', '/v1/analytics/journeys/progressive-profiling/funnel', {
      headers: admin,
    });
    expect(report.body.questions).toEqual(funnel.body.questions);
    const page = await fetch(`${stack.url}/dashboard/journeys/progressive-profiling`, {
      headers: { ...admin, accept: 'text/html' },
    });
    const html = await page.text();
    expect(html).toContain('Questions, attribute by attribute');
    expect(html).toMatch(
      new RegExp(
        `data-attribute="birthdate" data-client-id="web"[\\s\\S]*?data-metric="skipped">${byAttribute.birthdate.skipped}<`,
      ),
    );
  });

  it('never asks an operator-only attribute, and refuses it at a journey step when answered all the same', async () => {
    const customer = await signUp(api, smtp);
    const run = await runProfiling(customer.sessionToken, { client_id: 'web', moment: 'checkout' });
    expect(run.body.step.data.questions).toEqual([
      expect.objectContaining({ attribute: 'locale' }),
    ]);
    const refused = await api.submit(run.body.id, run.body.token, 'profile', {
      answers: { support_tier: 'premium' },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: '/answers/support_tier', code: 'unknown_field' }),
    ]);
    const stored = await stack.prisma.profileValue.findMany({ where: { userId: customer.userId } });
    expect(stored).toEqual([]);
  });
});
