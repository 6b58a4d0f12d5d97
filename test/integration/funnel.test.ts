import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { funnel, funnelCsv } from '../../src/analytics/funnel.js';
import { createPrisma } from '../../src/db/prisma.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { recordRun, type ScriptedEvent } from '../support/journey-events.js';

/**
 * The funnel against a scripted set of runs written as the engine writes journey events: every
 * number is known in advance, and must come out exactly.
 */
describe('the funnel of a journey, from its journey events', () => {
  let db: TestDatabase;
  let prisma: ReturnType<typeof createPrisma>;
  const t0 = Date.parse('2026-11-30T10:00:00.000Z');
  const window = { from: new Date(t0 - 60_000), to: new Date(t0 + 3_600_000) };

  /** One run: its events one second apart unless a step says how long it took. */
  const run = (id: string, version: number, events: ScriptedEvent[], startAt = t0) =>
    recordRun(prisma, { id, journey: 'registration', version, startAt }, events);

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrisma(db.url, { max: 2 });
    // v2: 4 runs. Two complete (one with a wrong code first), one abandoned at verify-email,
    // one abandoned at credentials; one more started outside the window.
    await run('a', 2, [
      ['step_entered', 'credentials'],
      ['step_submitted', 'credentials', undefined, 4_000],
      ['step_entered', 'verify-email'],
      ['step_submitted', 'verify-email'],
      ['step_rejected', 'verify-email', { code: 'invalid_code' }],
      ['step_submitted', 'verify-email', undefined, 9_000],
      ['step_entered', 'terms'],
      ['step_submitted', 'terms'],
      ['completed'],
    ]);
    await run('b', 2, [
      ['step_entered', 'credentials'],
      ['step_entered', 'verify-email', undefined, 2_000],
      ['step_entered', 'terms', undefined, 20_000],
      ['completed', undefined, undefined, 3_000],
    ]);
    await run('c', 2, [
      ['step_entered', 'credentials'],
      ['step_entered', 'verify-email', undefined, 6_000],
      ['step_rejected', 'verify-email', { code: 'invalid_code' }],
      ['step_rejected', 'verify-email', { code: 'too_many_attempts' }],
      ['abandoned', 'verify-email', undefined, 1_800_000],
    ]);
    await run('d', 2, [
      ['step_entered', 'credentials'],
      ['step_rejected', 'credentials', { code: 'password_weak' }],
      ['abandoned', 'credentials', undefined, 1_800_000],
    ]);
    await run('late', 2, [['step_entered', 'credentials']], t0 + 7_200_000);
    // v1: one run, expired at terms.
    await run('e', 1, [
      ['step_entered', 'credentials'],
      ['step_entered', 'verify-email'],
      ['step_entered', 'terms'],
      ['expired', 'terms', undefined, 3_600_000],
    ]);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  it('counts, per version and step, the runs that reached it, left it forward or ended there, their time in it and its refusals', async () => {
    const versions = await funnel(prisma, {
      journey: 'registration',
      ...window,
      stepOrder: { 2: ['credentials', 'verify-email', 'terms'] },
    });
    expect(versions.map((version) => version.version)).toEqual([1, 2]);
    const v2 = versions[1];
    expect(v2).toMatchObject({
      version: 2,
      started: 4,
      outcomes: { completed: 2, failed: 0, abandoned: 2, expired: 0 },
    });
    expect(v2?.steps).toEqual([
      {
        step: 'credentials',
        reached: 4,
        inProgress: 0,
        completed: 3,
        abandoned: 1,
        expired: 0,
        failed: 0,
        conversion: 0.75,
        // a 5 s, b 2 s, c 6 s, d 1,801 s (until abandoned): percentile_cont between ranks.
        timeInStepMs: { median: 5_500, p90: 1_262_500 },
        errors: [{ code: 'password_weak', count: 1 }],
      },
      {
        step: 'verify-email',
        reached: 3,
        inProgress: 0,
        completed: 2,
        abandoned: 1,
        expired: 0,
        failed: 0,
        conversion: 2 / 3,
        // a 12 s, b 20 s, c 1,802 s.
        timeInStepMs: { median: 20_000, p90: 1_445_600 },
        errors: [
          { code: 'invalid_code', count: 2 },
          { code: 'too_many_attempts', count: 1 },
        ],
      },
      {
        step: 'terms',
        reached: 2,
        inProgress: 0,
        completed: 2,
        abandoned: 0,
        expired: 0,
        failed: 0,
        conversion: 1,
        timeInStepMs: { median: 2_500, p90: 2_900 },
        errors: [],
      },
    ]);
    expect(versions[0]).toMatchObject({
      version: 1,
      started: 1,
      outcomes: { expired: 1 },
      steps: expect.arrayContaining([
        expect.objectContaining({ step: 'terms', reached: 1, completed: 0, expired: 1 }),
      ]),
    });
  });

  it('keeps to one version when asked, and lists a step no run reached with zeros', async () => {
    const [v1, ...others] = await funnel(prisma, {
      journey: 'registration',
      version: 1,
      ...window,
      stepOrder: { 1: ['credentials', 'verify-email', 'terms', 'never'] },
    });
    expect(others).toEqual([]);
    expect(v1?.steps.at(-1)).toEqual({
      step: 'never',
      reached: 0,
      inProgress: 0,
      completed: 0,
      abandoned: 0,
      expired: 0,
      failed: 0,
      conversion: null,
      timeInStepMs: { median: null, p90: null },
      errors: [],
    });
  });

  it('shows the runs in progress at each step: entered, neither moved on nor ended; ended, they leave it', async () => {
    const journey = 'mfa-enrolment';
    const at = (id: string, events: ScriptedEvent[]) =>
      recordRun(prisma, { id, journey, version: 1, startAt: t0 }, events);
    await at('waits-first', [['step_entered', 'choose']]);
    await at('waits-too', [['step_entered', 'choose']]);
    await at('waits-second', [
      ['step_entered', 'choose'],
      ['step_submitted', 'choose'],
      ['step_rejected', 'choose', { code: 'invalid_input' }],
      ['step_entered', 'confirm'],
    ]);
    await at('done', [['step_entered', 'choose'], ['step_entered', 'confirm'], ['completed']]);
    await at('gone', [
      ['step_entered', 'choose'],
      ['abandoned', 'choose'],
    ]);
    const [version] = await funnel(prisma, { journey, ...window });
    expect(version).toMatchObject({ started: 5, inProgress: 3 });
    const byStep = Object.fromEntries(
      (version?.steps ?? []).map((step) => [step.step, [step.reached, step.inProgress]]),
    );
    expect(byStep).toEqual({ choose: [5, 2], confirm: [2, 1] });

    // The first waiting run is abandoned: it leaves "in progress" for "abandoned".
    await prisma.journeyEvent.create({
      data: {
        journeyId: 'waits-first',
        journey,
        version: 1,
        seq: 3,
        type: 'abandoned',
        step: 'choose',
        at: new Date(t0 + 60_000),
      },
    });
    const [after] = await funnel(prisma, { journey, ...window });
    expect(after).toMatchObject({ started: 5, inProgress: 2, outcomes: { abandoned: 2 } });
    expect(after?.steps.find((step) => step.step === 'choose')).toMatchObject({
      reached: 5,
      inProgress: 1,
      abandoned: 2,
    });
  });

  it('exports the same numbers as CSV, a row per version and step (RFC 4180)', async () => {
    const versions = await funnel(prisma, { journey: 'registration', version: 2, ...window });
    const lines = funnelCsv('registration', versions).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'journey,version,step,reached,completed,abandoned,expired,failed,conversion,median_ms,p90_ms,top_errors,in_progress',
    );
    expect(lines).toContain(
      'registration,2,verify-email,3,2,1,0,0,0.6667,20000,1445600,invalid_code:2 too_many_attempts:1,0',
    );
  });
});
