import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { expectProblem } from '../support/raw-http.js';
import { signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'analysts-only-admin-key-0123456789abcdef';

describe('the funnel API for analysts (real HTTP, Temporal and Postgres)', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  const asAdmin = { authorization: `Bearer ${ADMIN_KEY}` };
  const path = '/v1/analytics/journeys/registration/funnel';

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
    api = stepApiClient(stack.url);
    await signUp(api, smtp);
    await signUp(api, smtp);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  it('answers only the admin key: 401 without it or with another (ASVS 4.1.1)', async () => {
    expectProblem(await api.call('GET', path), 401, 'operator_key_required');
    expectProblem(
      await api.call('GET', path, { headers: { authorization: `Bearer ${'x'.repeat(40)}` } }),
      401,
      'operator_key_required',
    );
  });

  it("counts the registrations run over the step API, step by step in the journey's order", async () => {
    const answer = await eventually('both registrations recorded', async () => {
      const got = await api.call('GET', `${path}?version=3`, { headers: asAdmin });
      return got.body.versions?.[0]?.outcomes.completed === 2 ? got : undefined;
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const [latest] = answer.body.versions;
    expect(latest).toMatchObject({ version: 3, started: 2 });
    expect(latest.steps.map((step: { step: string }) => step.step)).toEqual([
      'credentials',
      'verify-email',
      'terms',
      'consent',
    ]);
    for (const step of latest.steps.slice(0, 3))
      expect(step).toMatchObject({ reached: 2, completed: 2, abandoned: 0, conversion: 1 });
    // No purpose is declared here: the consent step is passed by, reached by none.
    expect(latest.steps[3]).toMatchObject({ step: 'consent', reached: 0 });
  });

  it("records the app a run was started from (Parcours-Channel) and counts each app's runs apart", async () => {
    const client = stepApiClient(stack.url);
    const started = await client.call('POST', '/v1/journeys/registration/start', {
      headers: { 'parcours-channel': 'ios' },
    });
    expect(started.status).toBe(201);
    const { id, token } = started.body;
    const email = `ios-${Date.now()}@example.test`;
    await client.submit(id, token, 'credentials', { email, password: 'an app on a phone 1843' });
    const mail = await smtp.waitFor((message) => message.to.includes(email));
    await client.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
    await client.submit(id, token, 'terms', { accept: true, policyVersion: '2026-11-01' });
    const ios = await eventually('the ios run recorded', async () => {
      const got = await api.call('GET', `${path}?channel=ios`, { headers: asAdmin });
      return got.body.versions?.[0]?.outcomes.completed === 1 ? got : undefined;
    });
    expect(ios.body).toMatchObject({ channel: 'ios', versions: [{ version: 3, started: 1 }] });
    const channels = await stack.prisma.journeyEvent.findMany({
      where: { journeyId: id },
      select: { channel: true },
    });
    expect(new Set(channels.map((event) => event.channel))).toEqual(new Set(['ios']));
    // The runs started without the header are the `default` channel's.
    const others = await api.call('GET', `${path}?channel=default`, { headers: asAdmin });
    expect(others.body.versions[0].started).toBe(2);
    const refused = await client.call('POST', '/v1/journeys/registration/start', {
      headers: { 'parcours-channel': 'Not A Channel!' },
    });
    expectProblem(refused, 422, 'invalid_input');
    expect(refused.body.errors[0]).toMatchObject({ path: '/parcours-channel', in: 'header' });
  });

  it('exports CSV when asked (Accept: text/csv or ?format=csv), as a download', async () => {
    for (const request of [
      { url: `${path}?channel=default`, headers: { ...asAdmin, accept: 'text/csv' } },
      { url: `${path}?channel=default&format=csv`, headers: asAdmin },
    ]) {
      const answer = await fetch(`${stack.url}${request.url}`, { headers: request.headers });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(answer.headers.get('content-disposition')).toContain('registration-funnel.csv');
      const [header, ...rows] = (await answer.text()).trimEnd().split('\r\n');
      expect(header).toMatch(/^journey,version,step,reached,completed,/);
      // The counts and the conversion; the times in step vary from run to run.
      const credentials = rows.find((row) => row.startsWith('registration,3,credentials,'));
      expect(credentials?.split(',').slice(0, 9)).toEqual(
        'registration,3,credentials,2,2,0,0,0,1.0000'.split(','),
      );
    }
  });

  it('refuses an empty channel and a window whose from is not before its to, and its OpenAPI document says both', async () => {
    const at = '2026-11-30T00:00:00Z';
    const empty = await api.call('GET', `${path}?channel=`, { headers: asAdmin });
    expectProblem(empty, 422, 'invalid_input');
    expect(empty.body.errors).toEqual([expect.objectContaining({ path: '/channel', in: 'query' })]);
    for (const window of [`from=${at}&to=${at}`, `from=${at}&to=2026-11-29T00:00:00Z`]) {
      const refused = await api.call('GET', `${path}?${window}`, { headers: asAdmin });
      expectProblem(refused, 422, 'invalid_input');
      expect(refused.body.errors, window).toEqual([expect.objectContaining({ path: '/from' })]);
    }
    const doc = (await api.call('GET', '/openapi.json')).body;
    const funnel = doc.paths['/v1/analytics/journeys/{journey}/funnel'].get;
    const channel = funnel.parameters.find(
      (parameter: { name: string }) => parameter.name === 'channel',
    );
    expect(new RegExp(channel.schema.pattern).test('')).toBe(false);
    expect(new RegExp(channel.schema.pattern).test('ios')).toBe(true);
    // OpenAPI cannot relate two parameters: the rule is in words, where a client reads it.
    expect(funnel.description).toContain('`from` must come before `to`');
  });

  it('refuses a bad window or version with 422 naming the query parameter, and an unknown journey with 404', async () => {
    const bad = await api.call('GET', `${path}?version=two&from=yesterday`, { headers: asAdmin });
    expectProblem(bad, 422, 'invalid_input');
    expect(bad.body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      '/from',
      '/version',
    ]);
    expectProblem(
      await api.call('GET', '/v1/analytics/journeys/nope/funnel', { headers: asAdmin }),
      404,
      'unknown_journey',
    );
  });
});
