// `npm run bench:funnel`: the funnel query (src/analytics/funnel.ts) on a million journey events in
// a fresh database on the local PostgreSQL, timed with and without the index that finds the runs
// started in a window. Medians of 7 runs per window; one table.
import { performance } from 'node:perf_hooks';
import { funnel } from '../src/analytics/funnel.js';
import { createPrisma } from '../src/db/prisma.js';
import { createTestDatabase } from '../test/support/database.js';

const RUNS = 143_000; // 7 events each on average: about a million events
const DAY_MS = 24 * 3_600_000;
const end = Date.parse('2026-11-30T00:00:00.000Z');

const db = await createTestDatabase();
const prisma = createPrisma(db.url, { max: 2 });
try {
  const startedAt = performance.now();
  // Runs spread over 30 days, on two versions; a quarter abandoned at each of the first two steps.
  await prisma.$executeRawUnsafe(`
    INSERT INTO journey_events (journey_id, journey, version, seq, type, step, at, detail)
    SELECT 'run-' || r, 'registration', 1 + (r % 2), e.seq, e.type, e.step,
      to_timestamp(${end / 1000} - ((r * 20.736)::bigint % ${30 * 86_400}) + e.seq * 7),
      CASE WHEN e.type = 'step_rejected' THEN '{"code":"invalid_code"}'::jsonb END
    FROM generate_series(1, ${RUNS}) AS r
    CROSS JOIN LATERAL (VALUES
      (1, 'started', NULL),
      (2, 'step_entered', 'credentials'),
      (3, 'step_submitted', 'credentials'),
      (4, CASE WHEN r % 4 = 0 THEN 'abandoned' ELSE 'step_entered' END,
          CASE WHEN r % 4 = 0 THEN 'credentials' ELSE 'verify-email' END),
      (5, CASE WHEN r % 4 = 1 THEN 'step_rejected' ELSE 'step_submitted' END, 'verify-email'),
      (6, CASE WHEN r % 4 = 1 THEN 'abandoned' ELSE 'step_entered' END,
          CASE WHEN r % 4 = 1 THEN 'verify-email' ELSE 'terms' END),
      (7, 'step_submitted', 'terms'),
      (8, 'completed', NULL),
      (9, 'step_entered', 'done')
    ) AS e(seq, type, step)
    WHERE r % 4 > 1 OR e.seq <= 4 + (r % 4) * 2`);
  await prisma.$executeRawUnsafe('ANALYZE journey_events');
  const [counted] = await prisma.$queryRawUnsafe<Array<{ count: bigint }>>(
    'SELECT count(*) AS count FROM journey_events',
  );
  const count = counted?.count ?? 0n;
  const loadSeconds = (performance.now() - startedAt) / 1000;

  if (process.env.EXPLAIN) {
    const plan = await prisma.$queryRawUnsafe<Array<{ 'QUERY PLAN': string }>>(
      (await import('node:fs')).readFileSync(process.env.EXPLAIN, 'utf8'),
    );
    console.log(plan.map((row) => row['QUERY PLAN']).join('\n'));
  }
  const median = (samples: number[]) =>
    [...samples].sort((a, b) => a - b)[samples.length >> 1] ?? 0;
  const time = async (from: number) => {
    const samples: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const t = performance.now();
      await funnel(prisma, { journey: 'registration', from: new Date(from), to: new Date(end) });
      samples.push(performance.now() - t);
    }
    return median(samples);
  };
  const windows = [
    ['last day', end - DAY_MS],
    ['last 7 days', end - 7 * DAY_MS],
    ['last 30 days (all)', end - 30 * DAY_MS],
  ] as const;
  const withIndex: number[] = [];
  for (const [, from] of windows) withIndex.push(await time(from));
  await prisma.$executeRawUnsafe('DROP INDEX journey_events_journey_type_at_idx');
  const withoutIndex: number[] = [];
  for (const [, from] of windows) withoutIndex.push(await time(from));

  console.log(
    `\nParcours bench — funnel over ${Number(count).toLocaleString('en')} journey events (${RUNS.toLocaleString('en')} runs, 2 versions, 30 days; loaded in ${loadSeconds.toFixed(0)} s), medians of 7\n`,
  );
  console.log('| window | with the (journey, type, at) index | without | ratio |');
  console.log('| --- | ---: | ---: | ---: |');
  windows.forEach(([label], index) => {
    const a = withIndex[index] ?? Number.NaN;
    const b = withoutIndex[index] ?? Number.NaN;
    console.log(`| ${label} | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(a / b).toFixed(2)}× |`);
  });
} finally {
  await prisma.$disconnect();
  await db.drop();
}
