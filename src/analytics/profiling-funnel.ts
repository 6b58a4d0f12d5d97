import type { PrismaClient } from '../db/prisma.js';

/** Per attribute, what progressive-profiling@1 asked and what became of it. */
export interface ProfilingQuestionCounts {
  attribute: string;
  client_id: string;
  asked: number;
  answered: number;
  skipped: number;
  /** Asked, then neither answered nor skipped: the run was left there (or is still waiting). */
  unanswered: number;
  /** answered / asked, 0 when none was asked. */
  answer_rate: number;
}

/**
 * progressive-profiling@1's funnel per attribute and app, for questions asked in [from, to): each
 * question is one row per run (profiling_questions), so the counts are exact.
 */
export async function profilingFunnel(
  prisma: PrismaClient,
  query: { from: Date; to: Date; clientId?: string },
): Promise<ProfilingQuestionCounts[]> {
  const rows = await prisma.$queryRaw<
    Array<{ attribute: string; app_id: string; asked: number; answered: number; skipped: number }>
  >`
    SELECT attribute, app_id, count(*)::int AS asked,
           count(*) FILTER (WHERE outcome = 'answered')::int AS answered,
           count(*) FILTER (WHERE outcome = 'skipped')::int AS skipped
    FROM profiling_questions
    WHERE asked_at >= ${query.from} AND asked_at < ${query.to}
      AND (${query.clientId ?? null}::text IS NULL OR app_id = ${query.clientId ?? null}::text)
    GROUP BY attribute, app_id
    ORDER BY app_id, asked DESC, attribute`;
  return rows.map((row) => ({
    attribute: row.attribute,
    client_id: row.app_id,
    asked: row.asked,
    answered: row.answered,
    skipped: row.skipped,
    unanswered: row.asked - row.answered - row.skipped,
    answer_rate: row.asked ? row.answered / row.asked : 0,
  }));
}
