import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardCells, metricByStep } from '../support/dashboard-html.js';
import { eventually } from '../support/eventually.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';
import { killHard, startWorkerProcess } from '../support/worker-process.js';

/**
 * 200 real registrations over the step API, each following a script: complete, or stop at a known
 * step and let the inactivity timeout abandon the run there; some send a weak password (refused by
 * the API) or a wrong code (refused by the run) on the way. Halfway, the worker is SIGKILLed with
 * runs in flight and another takes over. The funnel must equal the script, number for number.
 *
 * There is no time-skipping Temporal server for the CLI's dev server: the step timeout is shortened
 * instead, so abandonment comes from the real timer the engine arms.
 */

const RUNS = 200;
// Longer than a delivery's start-to-close timeout (30 s) and its first retry: a code mail in flight
// on the killed worker is sent again before its run's step times out, as with the 30 minutes of
// production; at 30 s the two raced, and a run whose mail was lost was abandoned meanwhile.
const STEP_TIMEOUT_MS = 50_000;
const PASSWORD = 'a long and quite unguessable passphrase';
const ADMIN_KEY = 'exactness-admin-key-0123456789abcdef';
const WEAK_PASSWORD = 'password1234'; // refused as 'password_common'

type Stop = 'credentials' | 'verify-email' | 'terms' | 'completed';
interface Script {
  index: number;
  email: string;
  channel: 'web' | 'ios';
  stop: Stop;
  weakPasswordFirst: boolean;
  wrongCodeFirst: boolean;
}

/** The mix: 60 complete, 40 stop at credentials, 50 at verify-email, 50 at terms. */
function scriptOf(index: number): Script {
  const stop: Stop =
    index < 60 ? 'completed' : index < 100 ? 'credentials' : index < 150 ? 'verify-email' : 'terms';
  return {
    index,
    email: `exact-${index}@example.com`,
    channel: index % 2 === 0 ? 'web' : 'ios',
    stop,
    weakPasswordFirst: index % 4 === 0,
    wrongCodeFirst: stop !== 'credentials' && index % 3 === 0,
  };
}
const scripts = Array.from({ length: RUNS }, (_, index) => scriptOf(index));

/** A code that is not `code`: every digit moved by one. */
const otherThan = (code: string) =>
  [...code].map((digit) => String((Number(digit) + 1) % 10)).join('');

describe('the funnel equals a scripted mix of 200 real runs, across a worker killed mid-run', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  const workers: ChildProcess[] = [];
  const limits = { CODES_PER_REQUESTER_PER_HOUR: '100000', CODES_PER_RECIPIENT_PER_HOUR: '100' };
  let from: Date;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({
      smtpUrl: smtp.url,
      withoutWorker: true,
      stepTimeoutMs: STEP_TIMEOUT_MS,
      env: { ...limits, PARCOURS_ADMIN_KEY: ADMIN_KEY },
    });
    api = stepApiClient(stack.url);
    workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url, ...limits }));
  });
  afterAll(async () => {
    for (const worker of workers) await killHard(worker);
    await stack?.stop();
    await smtp?.close();
  });

  /** Follows one script as an app would, and stops where it says (the timeout does the rest). */
  async function drive(script: Script): Promise<void> {
    const started = await api.call('POST', '/v1/journeys/registration@2/start', {
      headers: { 'parcours-channel': script.channel },
    });
    expect(started.status).toBe(201);
    const { id, token } = started.body;
    if (script.weakPasswordFirst) {
      const weak = await api.submit(id, token, 'credentials', {
        email: script.email,
        password: WEAK_PASSWORD,
      });
      expect(weak.status).toBe(422);
      expect(weak.body.errors[0].code).toBe('password_common');
    }
    if (script.stop === 'credentials') return;
    const credentials = await api.submit(id, token, 'credentials', {
      email: script.email,
      password: PASSWORD,
    });
    expect(credentials.body).toMatchObject({ step: { name: 'verify-email' } });
    // A send in flight on the killed worker is retried once its start-to-close timeout (30 s) runs
    // out, then waits its backoff: its mail may come that much later.
    const code = codeIn((await smtp.waitFor((m) => m.to.includes(script.email), 90_000)).text);
    if (script.wrongCodeFirst) {
      const wrong = await api.submit(id, token, 'verify-email', { code: otherThan(code) });
      expect(wrong.status).toBe(422);
      expect(wrong.body.code).toBe('invalid_code');
    }
    if (script.stop === 'verify-email') return;
    const verified = await api.submit(id, token, 'verify-email', { code });
    expect(verified.body).toMatchObject({ step: { name: 'terms' } });
    if (script.stop === 'terms') return;
    const done = await api.submit(id, token, 'terms', {
      accept: true,
      policyVersion: '2026-11-01',
    });
    expect(done.body).toMatchObject({ status: 'completed' });
  }

  /** Drives scripts ten at a time; `whenHalfway` runs once half of them are under way. */
  async function driveAll(whenHalfway: () => Promise<void>): Promise<void> {
    let next = 0;
    let halfway: Promise<void> | undefined;
    const lane = async () => {
      while (next < scripts.length) {
        const script = scripts[next++] as Script;
        if (next === RUNS / 2) halfway = whenHalfway();
        await drive(script);
      }
    };
    await Promise.all(Array.from({ length: 10 }, lane));
    await halfway;
  }

  it('counts every run where its script left it, with each refusal, exactly once', async () => {
    from = new Date(Date.now() - 1_000);
    await driveAll(async () => {
      // Runs are mid-step and submissions in flight: a power cut, then another machine takes over.
      await killHard(workers[0] as ChildProcess);
      workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url, ...limits }));
    });

    // While the stopped runs wait for their step's timeout, the funnel shows each where it waits:
    // in progress at that step, or abandoned there once its timer fired; never anywhere else.
    const asAdmin = { headers: { authorization: `Bearer ${ADMIN_KEY}` } };
    const stoppedAt = (step: Stop) => scripts.filter((script) => script.stop === step).length;
    const waiting = await eventually(
      'every stopped run in progress or abandoned at its step, every other run completed',
      async () => {
        const now = `from=${from.toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
        const answer = await api.call(
          'GET',
          `/v1/analytics/journeys/registration/funnel?version=2&${now}`,
          asAdmin,
        );
        const [version] = answer.body.versions;
        const where = (['credentials', 'verify-email', 'terms'] as const).every((step) => {
          // biome-ignore lint/suspicious/noExplicitAny: the answer's JSON
          const at = version.steps.find((candidate: any) => candidate.step === step);
          return at.inProgress + at.abandoned === stoppedAt(step);
        });
        return where &&
          version.outcomes.completed === stoppedAt('completed') &&
          version.inProgress + version.outcomes.abandoned === RUNS - stoppedAt('completed')
          ? version
          : undefined;
      },
      20_000,
      250,
    );
    expect(waiting.inProgress).toBeGreaterThan(0);

    // Every run ended: completed, or abandoned by its step's timer (on the second worker).
    await eventually(
      'all 200 runs ended',
      async () => {
        const ended = await stack.prisma.journeyEvent.count({
          where: { type: { in: ['completed', 'abandoned', 'failed', 'expired'] } },
        });
        return ended === RUNS ? ended : undefined;
      },
      STEP_TIMEOUT_MS + 90_000,
      500,
    );

    // Exactly once: each run has one start, one end, and its events numbered 1..n with no gap or
    // repeat, though a worker died under some of them.
    const perRun = await stack.prisma.journeyEvent.groupBy({
      by: ['journeyId'],
      _count: { _all: true },
      _max: { seq: true },
      _min: { seq: true },
    });
    expect(perRun).toHaveLength(RUNS);
    for (const run of perRun) expect([run._min.seq, run._max.seq]).toEqual([1, run._count._all]);
    expect(await stack.prisma.journeyEvent.count({ where: { type: 'started' } })).toBe(RUNS);

    const expected = expectedFunnel(scripts);
    const window = `from=${from.toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    const all = await api.call(
      'GET',
      `/v1/analytics/journeys/registration/funnel?version=2&${window}`,
      asAdmin,
    );
    expect(all.status).toBe(200);
    expect(shapeOf(all.body.versions)).toEqual([expected(() => true)]);
    // One app's runs apart: the same script, filtered by channel.
    for (const channel of ['web', 'ios'] as const) {
      const one = await api.call(
        'GET',
        `/v1/analytics/journeys/registration/funnel?version=2&channel=${channel}&${window}`,
        asAdmin,
      );
      expect(shapeOf(one.body.versions)).toEqual([
        expected((script) => script.channel === channel),
      ]);
    }
    // The dashboard shows the same numbers (its window is whole days, UTC).
    const day = (date: Date) => date.toISOString().slice(0, 10);
    const page = await fetch(
      `${stack.url}/dashboard/journeys/registration?version=2&from=${day(from)}&to=${day(new Date())}`,
      asAdmin,
    );
    expect(page.status).toBe(200);
    const cells = dashboardCells(await page.text());
    const want = expected(() => true);
    for (const metric of ['reached', 'completed', 'abandoned'] as const)
      expect(metricByStep(cells, 2, metric)).toEqual(
        Object.fromEntries(want.steps.map((step) => [step.step, step[metric]])),
      );

    // Abandoned runs stayed at least the step timeout in their last step.
    const credentials = all.body.versions[0].steps[0];
    expect(credentials.timeInStepMs.p90).toBeGreaterThanOrEqual(STEP_TIMEOUT_MS);
  }, 300_000);
});

/** What the funnel must say for the scripts `pick` keeps, computed from the scripts alone. */
function expectedFunnel(all: Script[]) {
  return (pick: (script: Script) => boolean) => {
    const runs = all.filter(pick);
    const order: Stop[] = ['credentials', 'verify-email', 'terms', 'completed'];
    const reached = (step: Stop) =>
      runs.filter((run) => order.indexOf(run.stop) >= order.indexOf(step)).length;
    const endedAt = (step: Stop) => runs.filter((run) => run.stop === step).length;
    const count = (n: number, code: string) => (n ? [{ code, count: n }] : []);
    const steps = (['credentials', 'verify-email', 'terms'] as const).map((step) => ({
      step,
      reached: reached(step),
      completed: reached(step) - endedAt(step),
      abandoned: endedAt(step),
      // Every run has ended by the time this is compared.
      inProgress: 0,
      expired: 0,
      failed: 0,
      errors:
        step === 'credentials'
          ? count(runs.filter((run) => run.weakPasswordFirst).length, 'password_common')
          : step === 'verify-email'
            ? count(runs.filter((run) => run.wrongCodeFirst).length, 'invalid_code')
            : [],
    }));
    return {
      version: 2,
      started: runs.length,
      outcomes: {
        completed: endedAt('completed'),
        failed: 0,
        abandoned: runs.length - endedAt('completed'),
        expired: 0,
      },
      steps,
    };
  };
}

/** The funnel's counts, without the timings the script cannot know. */
// biome-ignore lint/suspicious/noExplicitAny: the answer's JSON, compared field by field
function shapeOf(versions: any[]) {
  return versions.map(({ version, started, outcomes, steps }) => ({
    version,
    started,
    outcomes,
    // biome-ignore lint/suspicious/noExplicitAny: as above
    steps: steps.map(({ conversion, timeInStepMs, ...counts }: any) => {
      expect(conversion).toBeCloseTo(counts.reached ? counts.completed / counts.reached : 0);
      return counts;
    }),
  }));
}
