import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journeyDefinitions } from '../../journeys/index.js';
import { journeySearchAttributes } from '../../src/temporal-contract/workflow-api.js';
import { startApiVariant } from '../support/api-variant.js';
import { eventually } from '../support/eventually.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'versioning-admin-key-0123456789abcdef';
const PASSWORD = 'a version is a promise to the runs in flight';
const TERMS = { accept: true, policyVersion: '2026-11-01' };

/**
 * Shipping registration@2 while registration@1 runs are in flight, as a release rolls out: the
 * worker first (it knows both), then the API. Before, the API knows only @1; after, @2 is the newest.
 * Runs started before finish on @1, new ones start on @2, an app may still pin @1, and the funnel
 * counts the two side by side. On real Temporal, Postgres and SMTP.
 */
describe('registration@2 shipped while registration@1 runs are in flight', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let before: Awaited<ReturnType<typeof startApiVariant>>;
  let after: Awaited<ReturnType<typeof startApiVariant>>;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
    before = await startApiVariant(stack, {
      journeys: journeyDefinitions.filter(
        (definition) => definition.id !== 'registration' || definition.version === 1,
      ),
    });
    // The release that shipped @2 (later ones shipped @3: this test is about one release).
    after = await startApiVariant(stack, {
      journeys: journeyDefinitions.filter(
        (definition) => definition.id !== 'registration' || definition.version <= 2,
      ),
    });
  });
  afterAll(async () => {
    await before?.stop();
    await after?.stop();
    await stack?.stop();
    await smtp?.close();
  });

  const codeFor = async (email: string) =>
    codeIn((await smtp.waitFor((message) => message.to.includes(email), 20_000)).text);

  it('finishes the runs in flight on @1, starts new runs on @2, still starts @1 when pinned, and counts both', async () => {
    const old = stepApiClient(before.url);
    const current = stepApiClient(after.url);

    // Before the release: three runs on @1, left at each of its steps.
    const inFlight = [];
    for (const [index, stop] of (['credentials', 'verify-email', 'terms'] as const).entries()) {
      const started = await old.start('registration');
      expect(started.body).toMatchObject({ version: 1, step: { name: 'credentials' } });
      const run = { ...started.body, email: `in-flight-${index}@example.com` };
      if (stop !== 'credentials') {
        await old.submit(run.id, run.token, 'credentials', {
          email: run.email,
          password: PASSWORD,
        });
        if (stop === 'terms') {
          const verified = await old.submit(run.id, run.token, 'verify-email', {
            code: await codeFor(run.email),
          });
          expect(verified.body.step.name).toBe('terms');
        }
      }
      inFlight.push(run);
    }

    // After it: a new run starts on @2, the newest, and finishes with @2's result.
    const fresh = (await current.start('registration')).body;
    expect(fresh.version).toBe(2);
    await current.submit(fresh.id, fresh.token, 'credentials', {
      email: 'after-release@example.com',
      password: PASSWORD,
    });
    await current.submit(fresh.id, fresh.token, 'verify-email', {
      code: await codeFor('after-release@example.com'),
    });
    const freshDone = await current.submit(fresh.id, fresh.token, 'terms', TERMS);
    expect(freshDone.body).toMatchObject({ status: 'completed', version: 2 });
    expect(freshDone.body.result.type).toBe('session');

    // The runs in flight go on through the new API, and finish on @1, with @1's result (no `type`).
    for (const run of inFlight) {
      let view = (await current.get(run.id, run.token)).body;
      expect(view.version).toBe(1);
      if (view.step.name === 'credentials')
        view = (
          await current.submit(run.id, run.token, 'credentials', {
            email: run.email,
            password: PASSWORD,
          })
        ).body;
      if (view.step.name === 'verify-email')
        view = (
          await current.submit(run.id, run.token, 'verify-email', {
            code: await codeFor(run.email),
          })
        ).body;
      const done = await current.submit(run.id, run.token, 'terms', TERMS);
      expect(done.body).toMatchObject({ status: 'completed', version: 1 });
      expect(done.body.result).not.toHaveProperty('type');
      expect(done.body.result.session.token).toEqual(expect.any(String));
      const described = await stack.temporal.workflow.getHandle(run.id).describe();
      expect(described.typedSearchAttributes.get(journeySearchAttributes.version)).toBe(1);
    }

    // An app not ready for @2 pins @1.
    const pinned = (await current.start('registration', 1)).body;
    expect(pinned).toMatchObject({ version: 1, step: { name: 'credentials' } });
    const pinnedOn = await current.submit(pinned.id, pinned.token, 'credentials', {
      email: 'pinned@example.com',
      password: PASSWORD,
    });
    expect(pinnedOn.body).toMatchObject({ version: 1, step: { name: 'verify-email' } });

    // The funnel puts the versions side by side: 4 runs on @1 (3 completed), 1 on @2.
    const funnel = await eventually('every run counted', async () => {
      const answer = await current.call('GET', '/v1/analytics/journeys/registration/funnel', {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      const [v1, v2] = answer.body.versions;
      return v1?.started === 4 && v1.outcomes.completed === 3 && v2?.outcomes.completed === 1
        ? answer.body
        : undefined;
    });
    expect(funnel.versions.map((version: { version: number }) => version.version)).toEqual([1, 2]);
    expect(funnel.versions[0]).toMatchObject({ version: 1, started: 4 });
    expect(funnel.versions[0].steps[0]).toMatchObject({ step: 'credentials', reached: 4 });
    expect(funnel.versions[1]).toMatchObject({ version: 2, started: 1 });
  });
});
