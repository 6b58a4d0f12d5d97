import type { JourneyEventType } from '../../src/analytics/journey-events.js';
import type { createPrisma, Prisma } from '../../src/db/prisma.js';

/** An event after the previous one: its type, step, detail and delay (1 s unless said). */
export type ScriptedEvent = [JourneyEventType, string?, Record<string, unknown>?, number?];

/** One run's journey events, written as the engine writes them, starting with `started`. */
export async function recordRun(
  prisma: ReturnType<typeof createPrisma>,
  run: { id: string; journey: string; version: number; startAt: number; channel?: string },
  events: ScriptedEvent[],
): Promise<void> {
  let at = run.startAt;
  await prisma.journeyEvent.createMany({
    data: [['started'] as ScriptedEvent, ...events].map(([type, step, detail, after], index) => {
      at += after ?? 1_000;
      return {
        journeyId: run.id,
        journey: run.journey,
        version: run.version,
        seq: index + 1,
        type,
        at: new Date(at),
        ...(run.channel ? { channel: run.channel } : {}),
        ...(step ? { step } : {}),
        ...(detail ? { detail: detail as Prisma.InputJsonObject } : {}),
      };
    }),
  });
}

/** A refusal code no journey has: markup, to show it is shown as text and never runs. */
export const HOSTILE_CODE = '</script><script>alert(1)</script>';

/**
 * Registration runs whose funnel is known in advance, all started on 2026-11-30 (UTC) but one:
 * v2, four runs: two complete (one with a wrong code first), one abandoned at verify-email, one
 * at credentials (a weak password first); one more, on 2026-12-01, from the `ios` app.
 * v1, two runs: one expired at terms, one abandoned at credentials after a refusal coded
 * `HOSTILE_CODE`.
 */
export async function recordScriptedRegistrations(
  prisma: ReturnType<typeof createPrisma>,
): Promise<void> {
  const t0 = Date.parse('2026-11-30T10:00:00.000Z');
  const run = (
    id: string,
    version: number,
    events: ScriptedEvent[],
    startAt = t0,
    channel?: string,
  ) =>
    recordRun(
      prisma,
      { id, journey: 'registration', version, startAt, ...(channel ? { channel } : {}) },
      events,
    );
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
  await run('next-day', 2, [['step_entered', 'credentials']], t0 + 24 * 3_600_000, 'ios');
  await run('e', 1, [
    ['step_entered', 'credentials'],
    ['step_entered', 'verify-email'],
    ['step_entered', 'terms'],
    ['expired', 'terms', undefined, 3_600_000],
  ]);
  await run('h', 1, [
    ['step_entered', 'credentials'],
    ['step_rejected', 'credentials', { code: HOSTILE_CODE }],
    ['abandoned', 'credentials', undefined, 1_800_000],
  ]);
}
