import type { PrismaClient } from '../db/prisma.js';

/** One step of a funnel, for one journey version. */
export interface FunnelStep {
  step: string;
  /** Runs that entered the step. */
  reached: number;
  /** Runs at the step now: they entered it and have neither moved on nor ended. */
  inProgress: number;
  /** Runs that left it forward: to another step, or to the journey's completion. */
  completed: number;
  /** Runs that ended at it: left there until the inactivity timeout, or past their lifetime. */
  abandoned: number;
  expired: number;
  /** Runs that failed while at it (an error the journey could not get past). */
  failed: number;
  /** completed ÷ reached, or null when no run reached it. */
  conversion: number | null;
  /** Time from entering the step to leaving it, over the runs that left it (ms). */
  timeInStepMs: { median: number | null; p90: number | null };
  /** Refused submissions at the step, by error code, most frequent first. */
  errors: Array<{ code: string; count: number }>;
}

export interface FunnelVersion {
  version: number;
  /** Runs started in the window. */
  started: number;
  /** Runs started in the window that have not ended (each at one of its steps, or working). */
  inProgress: number;
  outcomes: { completed: number; failed: number; abandoned: number; expired: number };
  steps: FunnelStep[];
}

export interface FunnelQuery {
  journey: string;
  /** One version, or every version side by side. */
  version?: number;
  /** One app's runs (their channel), or every app's. */
  channel?: string;
  /** Runs started in [from, to). */
  from: Date;
  to: Date;
  /** Steps in the journey's order (those no run reached are listed with zeros). */
  stepOrder?: Record<number, string[]>;
}

interface StepRow {
  version: number;
  step: string;
  reached: bigint;
  in_progress: bigint;
  completed: bigint;
  abandoned: bigint;
  expired: bigint;
  failed: bigint;
  median_ms: number | null;
  p90_ms: number | null;
}

/**
 * A journey's funnel from its journey events: the runs started in a window, and for each step how
 * many reached it, left it forward, or ended there, how long they stayed, and why submissions were
 * refused. Each run's events are read in their recorded order (`seq`): a step is left at the next
 * step entered or at the run's end, and a run that has done neither is in progress there. Runs are
 * found by their `started` event through the (journey, type, at) index, their events by
 * (journey_id, seq): the cost follows the runs in the
 * window, not the table.
 */
export async function funnel(prisma: PrismaClient, query: FunnelQuery): Promise<FunnelVersion[]> {
  const version = query.version ?? null;
  const channel = query.channel ?? null;
  const [runs, steps, errors] = await Promise.all([
    prisma.$queryRaw<
      Array<{
        version: number;
        started: bigint;
        in_progress: bigint;
        completed: bigint;
        failed: bigint;
        abandoned: bigint;
        expired: bigint;
      }>
    >`
      WITH runs AS (
        SELECT journey_id, version FROM journey_events
        WHERE journey = ${query.journey} AND type = 'started'
          AND at >= ${query.from} AND at < ${query.to}
          AND (${version}::int IS NULL OR version = ${version}::int)
          AND (${channel}::text IS NULL OR channel = ${channel}::text)
      ), ends AS (
        SELECT e.journey_id, e.type FROM journey_events e JOIN runs USING (journey_id)
        WHERE e.type IN ('completed', 'failed', 'abandoned', 'expired')
      )
      SELECT runs.version, count(*) AS started,
        count(*) FILTER (WHERE ends.type IS NULL) AS in_progress,
        count(*) FILTER (WHERE ends.type = 'completed') AS completed,
        count(*) FILTER (WHERE ends.type = 'failed') AS failed,
        count(*) FILTER (WHERE ends.type = 'abandoned') AS abandoned,
        count(*) FILTER (WHERE ends.type = 'expired') AS expired
      FROM runs LEFT JOIN ends USING (journey_id)
      GROUP BY runs.version ORDER BY runs.version`,
    prisma.$queryRaw<StepRow[]>`
      WITH runs AS (
        SELECT journey_id FROM journey_events
        WHERE journey = ${query.journey} AND type = 'started'
          AND at >= ${query.from} AND at < ${query.to}
          AND (${version}::int IS NULL OR version = ${version}::int)
          AND (${channel}::text IS NULL OR channel = ${channel}::text)
      ), boundaries AS (
        SELECT e.journey_id, e.version, e.type, e.step, e.at,
          lead(e.type) OVER run AS next_type, lead(e.at) OVER run AS next_at
        FROM journey_events e JOIN runs USING (journey_id)
        WHERE e.type IN ('step_entered', 'completed', 'failed', 'abandoned', 'expired')
        WINDOW run AS (PARTITION BY e.journey_id ORDER BY e.seq)
      )
      SELECT version, step,
        count(DISTINCT journey_id) AS reached,
        count(DISTINCT journey_id) FILTER (WHERE next_type IS NULL) AS in_progress,
        count(DISTINCT journey_id) FILTER (WHERE next_type IN ('step_entered', 'completed')) AS completed,
        count(DISTINCT journey_id) FILTER (WHERE next_type = 'abandoned') AS abandoned,
        count(DISTINCT journey_id) FILTER (WHERE next_type = 'expired') AS expired,
        count(DISTINCT journey_id) FILTER (WHERE next_type = 'failed') AS failed,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM next_at - at) * 1000)
          FILTER (WHERE next_at IS NOT NULL) AS median_ms,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM next_at - at) * 1000)
          FILTER (WHERE next_at IS NOT NULL) AS p90_ms
      FROM boundaries WHERE type = 'step_entered'
      GROUP BY version, step`,
    prisma.$queryRaw<Array<{ version: number; step: string; code: string; count: bigint }>>`
      WITH runs AS (
        SELECT journey_id FROM journey_events
        WHERE journey = ${query.journey} AND type = 'started'
          AND at >= ${query.from} AND at < ${query.to}
          AND (${version}::int IS NULL OR version = ${version}::int)
          AND (${channel}::text IS NULL OR channel = ${channel}::text)
      )
      SELECT e.version, e.step, e.detail->>'code' AS code, count(*) AS count
      FROM journey_events e JOIN runs USING (journey_id)
      WHERE e.type = 'step_rejected'
      GROUP BY e.version, e.step, e.detail->>'code'
      ORDER BY count DESC, code`,
  ]);

  return runs.map((run) => {
    const rows = steps.filter((row) => row.version === run.version);
    const order = [
      ...(query.stepOrder?.[run.version] ?? []),
      ...rows
        .map((row) => row.step)
        .filter((step) => !query.stepOrder?.[run.version]?.includes(step)),
    ];
    return {
      version: run.version,
      started: Number(run.started),
      inProgress: Number(run.in_progress),
      outcomes: {
        completed: Number(run.completed),
        failed: Number(run.failed),
        abandoned: Number(run.abandoned),
        expired: Number(run.expired),
      },
      steps: order.map((step): FunnelStep => {
        const row = rows.find((candidate) => candidate.step === step);
        const reached = Number(row?.reached ?? 0);
        const completed = Number(row?.completed ?? 0);
        return {
          step,
          reached,
          inProgress: Number(row?.in_progress ?? 0),
          completed,
          abandoned: Number(row?.abandoned ?? 0),
          expired: Number(row?.expired ?? 0),
          failed: Number(row?.failed ?? 0),
          conversion: reached ? completed / reached : null,
          timeInStepMs: {
            median: row?.median_ms == null ? null : Math.round(row.median_ms),
            p90: row?.p90_ms == null ? null : Math.round(row.p90_ms),
          },
          errors: errors
            .filter((error) => error.version === run.version && error.step === step)
            .slice(0, 5)
            .map((error) => ({ code: error.code, count: Number(error.count) })),
        };
      }),
    };
  });
}

/** The funnel as CSV (RFC 4180): one row per version and step, for a spreadsheet. */
export function funnelCsv(journey: string, versions: FunnelVersion[]): string {
  const header = [
    'journey',
    'version',
    'step',
    'reached',
    'completed',
    'abandoned',
    'expired',
    'failed',
    'conversion',
    'median_ms',
    'p90_ms',
    'top_errors',
    // Last: a column added later leaves every earlier one where spreadsheets expect it.
    'in_progress',
  ];
  const cell = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const rows = versions.flatMap((version) =>
    version.steps.map((step) => [
      journey,
      version.version,
      step.step,
      step.reached,
      step.completed,
      step.abandoned,
      step.expired,
      step.failed,
      step.conversion === null ? '' : step.conversion.toFixed(4),
      step.timeInStepMs.median,
      step.timeInStepMs.p90,
      step.errors.map((error) => `${error.code}:${error.count}`).join(' '),
      step.inProgress,
    ]),
  );
  return `${[header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`;
}
