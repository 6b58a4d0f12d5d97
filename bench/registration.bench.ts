// `npm run bench`: registrations, then password sign-ins of the accounts made, end to end over HTTP, the API and the worker in processes of their
// own as in production, on a real Temporal dev server (SQLite, WAL), PostgreSQL at 127.0.0.1:5432
// and a real SMTP server; beside them the no-op floor (a bare XState machine advanced by Temporal
// updates). `--baseline DIR` runs another checkout the same way, interleaved round by round, since
// this machine's speed drifts. Beside them, each round, the peer a team would pick instead
// (better-auth, from ../shared/peers/better-auth/: bench/peer.ts). Tables of medians from one run.
//
//   npm run bench -- [--baseline ../baseline] [--rounds 3] [--journeys 200] [--alone 40] [--profile DIR]
//                    [--peer DIR | --no-peer] [--waiting 1000,5000 | --waiting 0]

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { startTemporalDevServer } from '../src/runtime/temporal-dev-server.js';
import { generateKeySpec } from '../src/security/keyring.js';
import { PASSWORD_HASH_PARAMETERS } from '../src/security/password-hash.js';
import { journeySearchAttributeTypes } from '../src/temporal/connection.js';
import { createTestDatabase } from '../test/support/database.js';
import { stepApiClient } from '../test/support/http.js';
import { startSmtpSink } from '../test/support/smtp-sink.js';
import { driveFloor, startFloorWorker } from './floor/drive.js';
import { historyEventsPerRun } from './history.js';
import {
  LOGIN_STEPS,
  type LoadResult,
  type LoginStep,
  logins,
  registeredAccounts,
  registrations,
  STEPS,
  servesLogin,
  signsInInOneStep,
} from './load.js';
import { residentMiB, waitingRegistrations } from './memory.js';
import { measurePeer, type PeerRound, preparePeer } from './peer.js';
import {
  diffProcessCpu,
  type ProcessCpu,
  readProcessCpu,
  readProcessesNamed,
  readProcessTreeMs,
} from './proc-cpu.js';
import { commitOf, migrateWith, startTarget } from './target.js';

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    rounds: { type: 'string' },
    journeys: { type: 'string', default: '200' },
    alone: { type: 'string', default: '40' },
    'history-sample': { type: 'string', default: '20' },
    profile: { type: 'string' },
    peer: { type: 'string' },
    'no-peer': { type: 'boolean', default: false },
    waiting: { type: 'string', default: '1000,5000' },
  },
});
const journeys = Number(values.journeys);
const alone = Number(values.alone);
const historySample = Number(values['history-sample']);
const rounds = Number(values.rounds ?? (values.baseline ? 3 : 1));
const here = fileURLToPath(new URL('..', import.meta.url));
/** How long the peer's sign-ins run, at 20 concurrent (its harness's default). */
const PEER_SIGN_IN_SECONDS = 20;
/** The counts of runs left waiting at which memory is read (`--waiting 0`: none). */
const waitingCounts = values.waiting
  .split(',')
  .map(Number)
  .filter((count) => count > 0);
const peerDir = values['no-peer']
  ? undefined
  : preparePeer(resolve(values.peer ?? join(here, '../shared/peers/better-auth')));
const targets = [
  { label: 'this', dir: resolve(here) },
  ...(values.baseline ? [{ label: 'baseline', dir: resolve(values.baseline) }] : []),
];

// ---------------------------------------------------------------------------------------------
// Measuring one target in one round

type Metrics = Map<string, number>;

interface TargetRound {
  metrics: Metrics;
  latencies: {
    alone: LoadResult['latencies'];
    loaded: LoadResult['latencies'];
    login?: Record<LoginStep, number[]>;
  };
  errors: string[];
}

/** A fresh Temporal dev server, with a client, for one measurement. */
async function withTemporal<T>(
  run: (server: { address: string; pid: number; client: Client }) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'parcours-bench-'));
  const server = await startTemporalDevServer({
    port: 0,
    uiPort: false,
    dbFile: join(dir, 'temporal.sqlite'),
    searchAttributes: journeySearchAttributeTypes,
  });
  const connection = await Connection.connect({ address: server.address });
  try {
    return await run({ ...server, client: new Client({ connection }) });
  } finally {
    await connection.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function committedTransactions(database: string): Promise<number> {
  const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
      [database],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

interface CpuReading {
  api: ProcessCpu;
  worker: ProcessCpu;
  temporalMs: number;
  postgresMs: number;
}

/** Thread kinds as the table names them (see bench/thread-names.cjs). */
function threadKind(name: string): string {
  if (name === 'main' || name === 'exited' || name === 'v8-helper') return name;
  if (name.startsWith('wt-')) return 'worker-threads';
  if (name === 'node') return 'native';
  return 'core'; // Tokio's threads: Temporal Core
}

function cpuPerJourney(before: CpuReading, after: CpuReading, count: number): Metrics {
  const metrics: Metrics = new Map();
  let total = 0;
  const add = (key: string, ms: number) => {
    metrics.set(key, (metrics.get(key) ?? 0) + ms / count);
    total += ms / count;
  };
  for (const role of ['api', 'worker'] as const) {
    for (const [name, ms] of diffProcessCpu(before[role], after[role]))
      add(`cpu.${role}.${threadKind(name)}`, ms);
  }
  add('cpu.temporal', after.temporalMs - before.temporalMs);
  add('cpu.postgres', after.postgresMs - before.postgresMs);
  metrics.set('cpu.total', total);
  return metrics;
}

async function measureTarget(
  target: { label: string; dir: string },
  round: number,
): Promise<TargetRound> {
  return withTemporal(async (temporal) => {
    const db = await createTestDatabase((url) => migrateWith(target.dir, url));
    const smtp = await startSmtpSink();
    const transactionsBefore = await committedTransactions(db.name);
    // The sign-in phase restarts the roles on the same database: the same keys.
    const keys = generateKeySpec('bench');
    const running = await startTarget({
      dir: target.dir,
      databaseUrl: db.url,
      temporalAddress: temporal.address,
      smtpUrl: smtp.url,
      keys,
      logFile: join(tmpdir(), `parcours-bench-${target.label}-${round}.log`),
      ...(values.profile
        ? { profileDir: join(resolve(values.profile), `${target.label}-${round}`) }
        : {}),
    });
    const metrics: Metrics = new Map();
    const errors: string[] = [];
    let registered = 0;
    const load = async (count: number, concurrency: number, tag: string) => {
      const result = await registrations({ apiUrl: running.apiUrl, smtp, count, concurrency, tag });
      errors.push(...result.errors);
      registered += count;
      metrics.set(`rps.${concurrency}`, count / result.seconds);
      return result;
    };
    try {
      await load(10, 10, 'warm'); // JIT, pools and caches: not measured
      const aloneRun = await load(alone, 1, 'alone');
      const reading = (): CpuReading => ({
        api: readProcessCpu(running.apiPid),
        worker: readProcessCpu(running.workerPid),
        temporalMs: readProcessTreeMs(temporal.pid),
        postgresMs: readProcessesNamed('postgres'),
      });
      const before = reading();
      const loaded = await load(journeys, 20, 'c20');
      for (const [key, value] of cpuPerJourney(before, reading(), journeys))
        metrics.set(key, value);
      await load(journeys, 50, 'c50');
      const sample = loaded.journeyIds.slice(0, historySample);
      for (const [type, count] of await historyEventsPerRun(temporal.client, sample))
        metrics.set(`history.${type}`, count);
      await running.stop();
      // Backends flush their statistics when they exit.
      await sleep(500);
      metrics.set(
        'db.transactions',
        ((await committedTransactions(db.name)) - transactionsBefore) / registered,
      );
      // Password sign-ins of the accounts the 20-concurrent phase made (targets with login@1), on
      // the roles started afresh, so the registrations' database figures are their own.
      let loginLatencies: Record<LoginStep, number[]> | undefined;
      const signingIn = await startTarget({
        dir: target.dir,
        databaseUrl: db.url,
        temporalAddress: temporal.address,
        smtpUrl: smtp.url,
        keys,
        logFile: join(tmpdir(), `parcours-bench-${target.label}-${round}-login.log`),
      });
      try {
        if (await servesLogin(signingIn.apiUrl)) {
          const oneStep = await signsInInOneStep(signingIn.apiUrl);
          metrics.set('login.steps', oneStep ? 1 : 2);
          // Warmed as the registrations were (50 runs before the measured phase): the roles are new.
          await logins({
            apiUrl: signingIn.apiUrl,
            accounts: registeredAccounts('c50', 50),
            concurrency: 10,
            oneStep,
          });
          const readingOf = (): CpuReading => ({
            api: readProcessCpu(signingIn.apiPid),
            worker: readProcessCpu(signingIn.workerPid),
            temporalMs: readProcessTreeMs(temporal.pid),
            postgresMs: readProcessesNamed('postgres'),
          });
          const before = readingOf();
          const signedIn = await logins({
            apiUrl: signingIn.apiUrl,
            accounts: registeredAccounts('c20', journeys),
            concurrency: 20,
            oneStep,
          });
          errors.push(...signedIn.errors);
          metrics.set('login.rps.20', journeys / signedIn.seconds);
          for (const [key, value] of cpuPerJourney(before, readingOf(), journeys))
            metrics.set(`login.${key}`, value);
          loginLatencies = signedIn.latencies;
        }
      } finally {
        await signingIn.stop();
      }
      return {
        metrics,
        latencies: {
          alone: aloneRun.latencies,
          loaded: loaded.latencies,
          ...(loginLatencies ? { login: loginLatencies } : {}),
        },
        errors,
      };
    } finally {
      await running.stop();
      await smtp.close();
      await db.drop();
    }
  });
}

/**
 * Memory as journeys wait (once per target, in the first round): resident memory of the worker,
 * the API and the Temporal server with registrations left at `verify-email`, at each count of
 * `--waiting`; the cost per waiting run is the growth between the first and the last count, over
 * the runs added. Then a step (a wrong code) on the oldest runs, which the worker's cache may
 * have evicted, against the newest, which it holds.
 */
async function measureWaiting(target: { label: string; dir: string }): Promise<Metrics> {
  const counts = waitingCounts;
  const metrics: Metrics = new Map();
  return withTemporal(async (temporal) => {
    const db = await createTestDatabase((url) => migrateWith(target.dir, url));
    const smtp = await startSmtpSink();
    const running = await startTarget({
      dir: target.dir,
      databaseUrl: db.url,
      temporalAddress: temporal.address,
      smtpUrl: smtp.url,
      keys: generateKeySpec('bench'),
      logFile: join(tmpdir(), `parcours-bench-${target.label}-waiting.log`),
    });
    try {
      const read = (prefix: string) => {
        metrics.set(`${prefix}.worker`, residentMiB(running.workerPid));
        metrics.set(`${prefix}.api`, residentMiB(running.apiPid));
        metrics.set(`${prefix}.temporal`, residentMiB(temporal.pid));
      };
      await registrations({ apiUrl: running.apiUrl, smtp, count: 20, concurrency: 10, tag: 'w' });
      read('mem.0');
      // Each run's journey token, in the order the runs came to wait.
      const tokens = new Map<string, string>();
      let made = 0;
      for (const count of counts) {
        const batch = await waitingRegistrations({
          apiUrl: running.apiUrl,
          count: count - made,
          concurrency: 20,
          tag: `waiting-${count}`,
        });
        if (batch.errors.length) throw new Error(`waiting runs: ${batch.errors[0]}`);
        for (const [id, token] of batch.tokens) tokens.set(id, token);
        made = count;
        await sleep(2_000);
        read(`mem.${count}`);
      }
      const all = [...tokens.keys()];
      const [first, last] = [counts[0] as number, counts.at(-1) as number];
      for (const role of ['worker', 'api', 'temporal'])
        metrics.set(
          `mem.perRun.${role}`,
          last > first
            ? (((metrics.get(`mem.${last}.${role}`) ?? 0) -
                (metrics.get(`mem.${first}.${role}`) ?? 0)) *
                1024) /
                (last - first)
            : Number.NaN,
        );
      // A wrong code is a step that leaves the run where it was: on the oldest runs and the newest.
      const client = stepApiClient(running.apiUrl);
      const stepMs = async (ids: string[]) => {
        const times: number[] = [];
        for (const id of ids) {
          const started = performance.now();
          const answer = await client.submit(id, tokens.get(id) as string, 'verify-email', {
            code: '000000',
          });
          times.push(performance.now() - started);
          if (answer.status !== 200 && answer.status !== 422)
            throw new Error(`a step on a waiting run: ${answer.status}`);
        }
        return median(times);
      };
      metrics.set('mem.step.newest', await stepMs(all.slice(-20)));
      metrics.set('mem.step.oldest', await stepMs(all.slice(0, 20)));
      return metrics;
    } finally {
      await running.stop();
      await smtp.close();
      await db.drop();
    }
  });
}

async function measureFloor(): Promise<Metrics> {
  return withTemporal(async (temporal) => {
    const taskQueue = `floor-${randomUUID()}`;
    const worker = await startFloorWorker(temporal.address, taskQueue);
    try {
      const drive = (count: number, concurrency = 20, oneStep = false) =>
        driveFloor({ client: temporal.client, taskQueue, count, concurrency, oneStep });
      await drive(20);
      const aloneFloor = await drive(Math.min(alone, 30), 1);
      const temporalBefore = readProcessTreeMs(temporal.pid);
      const workerBefore = readProcessTreeMs(worker.pid);
      const floor = await drive(journeys);
      const metrics: Metrics = new Map([
        ['floor.jps', floor.journeysPerSecond],
        ['floor.ups', floor.updatesPerSecond],
        ['floor.p50', percentile(floor.updateMs, 50)],
        ['floor.p50.alone', percentile(aloneFloor.updateMs, 50)],
        ['floor.cpu.temporal', (readProcessTreeMs(temporal.pid) - temporalBefore) / journeys],
        ['floor.cpu.worker', (readProcessTreeMs(worker.pid) - workerBefore) / journeys],
      ]);
      const eventsOf = async (ids: string[]) => {
        const history = await historyEventsPerRun(temporal.client, ids.slice(0, historySample));
        return [...history.values()].reduce((sum, count) => sum + count, 0);
      };
      metrics.set('floor.history', await eventsOf(floor.workflowIds));
      // A sign-in's shape: one update that starts the run and ends it. What Temporal alone costs
      // a sign-in, and so the most sign-ins/s that any work beside it leaves room for.
      await drive(20, 20, true);
      const temporalBeforeOne = readProcessTreeMs(temporal.pid);
      const workerBeforeOne = readProcessTreeMs(worker.pid);
      const oneStep = await drive(journeys, 20, true);
      metrics.set('floor1.jps', oneStep.journeysPerSecond);
      metrics.set('floor1.p50', percentile(oneStep.updateMs, 50));
      metrics.set(
        'floor1.cpu.temporal',
        (readProcessTreeMs(temporal.pid) - temporalBeforeOne) / journeys,
      );
      metrics.set(
        'floor1.cpu.worker',
        (readProcessTreeMs(worker.pid) - workerBeforeOne) / journeys,
      );
      metrics.set('floor1.history', await eventsOf(oneStep.workflowIds));
      return metrics;
    } finally {
      await worker.stop();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics and the table

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}
const median = (samples: number[]) => percentile(samples, 50);

function medianMetrics(all: Metrics[]): Metrics {
  const keys = new Set(all.flatMap((metrics) => [...metrics.keys()]));
  return new Map([...keys].map((key) => [key, median(all.map((m) => m.get(key) ?? 0))]));
}

const fmt = (value: number | undefined, digits = 1) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);

const results = new Map<string, TargetRound[]>(targets.map((target) => [target.label, []]));
const floors: Metrics[] = [];
const waiting = new Map<string, Metrics>();
const peers: PeerRound[] = [];
const commits = new Map(targets.map((target) => [target.label, commitOf(target.dir)]));

for (let round = 1; round <= rounds; round += 1) {
  // Alternate the order so that neither target always runs on a warmer (or hotter) machine.
  const order = round % 2 === 1 ? targets : [...targets].reverse();
  for (const target of order) {
    process.stderr.write(
      `round ${round}/${rounds}: ${target.label} (${commits.get(target.label)})…\n`,
    );
    results.get(target.label)?.push(await measureTarget(target, round));
    if (round === 1 && waitingCounts.length) {
      process.stderr.write(`round ${round}/${rounds}: ${target.label}, runs left waiting…\n`);
      waiting.set(target.label, await measureWaiting(target));
    }
  }
  process.stderr.write(`round ${round}/${rounds}: no-op floor…\n`);
  floors.push(await measureFloor());
  if (peerDir) {
    process.stderr.write(`round ${round}/${rounds}: peer, better-auth…\n`);
    peers.push(
      await measurePeer(peerDir, {
        users: journeys,
        concurrency: 20,
        signInSeconds: PEER_SIGN_IN_SECONDS,
      }),
    );
  }
}

const floor = medianMetrics(floors);
const columns = targets.map((target) => {
  const runs = results.get(target.label) ?? [];
  const pooled = (phase: 'alone' | 'loaded', step?: string) =>
    runs.flatMap((run) =>
      step
        ? (run.latencies[phase][step as keyof LoadResult['latencies']] ?? [])
        : Object.values(run.latencies[phase]).flat(),
    );
  const metrics = medianMetrics(runs.map((run) => run.metrics));
  for (const phase of ['alone', 'loaded'] as const) {
    for (const step of [undefined, ...STEPS]) {
      const samples = pooled(phase, step);
      for (const p of [50, 95, 99])
        metrics.set(`latency.${phase}.${step ?? 'all'}.p${p}`, percentile(samples, p));
    }
  }
  for (const step of [undefined, ...LOGIN_STEPS]) {
    const samples = runs.flatMap((run) =>
      step ? (run.latencies.login?.[step] ?? []) : Object.values(run.latencies.login ?? {}).flat(),
    );
    if (samples.length)
      for (const p of [50, 95, 99])
        metrics.set(`login.latency.${step ?? 'all'}.p${p}`, percentile(samples, p));
  }
  metrics.set('rps.20.floorRatio', (metrics.get('rps.20') ?? 0) / (floor.get('floor.jps') ?? 1));
  metrics.set(
    'latency.alone.floorRatio',
    (metrics.get('latency.alone.all.p50') ?? 0) / (floor.get('floor.p50.alone') ?? 1),
  );
  metrics.set(
    'history.total',
    [...metrics].filter(([key]) => key.startsWith('history.')).reduce((sum, [, n]) => sum + n, 0),
  );
  for (const [key, value] of waiting.get(target.label) ?? []) metrics.set(key, value);
  metrics.set(
    'errors',
    runs.reduce((sum, run) => sum + run.errors.length, 0),
  );
  return { ...target, metrics, errors: runs.flatMap((run) => run.errors) };
});

type Row = [label: string, key: string, digits?: number] | [heading: string];
const cpuRows: Row[] = [
  ['API event loop (HTTP, Temporal client, codec, Prisma)', 'cpu.api.main'],
  ['API worker threads (strength estimate; tsx loader)', 'cpu.api.worker-threads'],
  ['API libuv pool (argon2id) and native threads', 'cpu.api.native'],
  ['API V8 helpers (GC, compiler)', 'cpu.api.v8-helper'],
  ['API threads that ended in the window', 'cpu.api.exited'],
  ['worker event loop (activities, Prisma, codec)', 'cpu.worker.main'],
  ['worker workflow thread (sandbox, XState; tsx loader)', 'cpu.worker.worker-threads'],
  ['worker Temporal Core', 'cpu.worker.core'],
  ['worker native threads', 'cpu.worker.native'],
  ['worker V8 helpers (GC, compiler)', 'cpu.worker.v8-helper'],
  ['worker threads that ended (VM watchdog)', 'cpu.worker.exited'],
  ['Temporal server', 'cpu.temporal'],
  ['PostgreSQL', 'cpu.postgres'],
  ['**total**', 'cpu.total'],
];
const historyTypes = [
  ...new Set(
    columns.flatMap((column) =>
      [...column.metrics.keys()].filter(
        (key) => key.startsWith('history.') && key !== 'history.total',
      ),
    ),
  ),
].sort();
const rows: Row[] = [
  ['registrations/s'],
  ['1 at a time', 'rps.1'],
  ['20 concurrent', 'rps.20'],
  ['50 concurrent', 'rps.50'],
  ['20 concurrent ÷ no-op floor journeys/s', 'rps.20.floorRatio', 2],
  ['step latency, 1 at a time (ms)'],
  ...(['p50', 'p95', 'p99'] as const).map((p): Row => [`all steps ${p}`, `latency.alone.all.${p}`]),
  ...STEPS.map((step): Row => [`${step} p50`, `latency.alone.${step}.p50`]),
  ['all steps p50 ÷ no-op update p50', 'latency.alone.floorRatio', 2],
  ['step latency, 20 concurrent (ms)'],
  ...(['p50', 'p95', 'p99'] as const).map(
    (p): Row => [`all steps ${p}`, `latency.loaded.all.${p}`],
  ),
  ['CPU ms per registration (20 concurrent, from /proc)'],
  ...cpuRows,
  ['history events per registration'],
  ...historyTypes.map((key): Row => [key.slice('history.'.length), key]),
  ['**total**', 'history.total'],
  ['database'],
  ['transactions per registration', 'db.transactions'],
  [`password sign-ins (login@1; ${PASSWORD_HASH_PARAMETERS}), 20 concurrent`],
  ['steps after the start (1: address and password together)', 'login.steps', 0],
  ['sign-ins/s', 'login.rps.20'],
  ...(['p50', 'p95', 'p99'] as const).map(
    (p): Row => [`all steps ${p} (ms)`, `login.latency.all.${p}`],
  ),
  ...(['p50', 'p95', 'p99'] as const).map(
    (p): Row => [`password step ${p} (ms)`, `login.latency.password.${p}`],
  ),
  ['CPU ms per sign-in (from /proc)'],
  ...cpuRows.map(([label, key]): Row => [label, `login.${key}`]),
  ...(waiting.size ? memoryRows() : []),
  ['errors', 'errors', 0],
];

/** The memory rows, at the counts of `--waiting` (runs left at verify-email). */
function memoryRows(): Row[] {
  const counts = waitingCounts;
  const rows: Row[] = [['memory as registrations wait at verify-email (resident MiB)']];
  for (const [role, label] of [
    ['worker', 'worker'],
    ['api', 'API'],
    ['temporal', 'Temporal server'],
  ] as const) {
    for (const count of [0, ...counts])
      rows.push([`${label}, ${count} waiting`, `mem.${count}.${role}`]);
    rows.push([`${label}, KiB per waiting run`, `mem.perRun.${role}`]);
  }
  rows.push(['a step on one of the newest runs, p50 (ms)', 'mem.step.newest']);
  rows.push([
    'a step on one of the oldest runs (cache may have evicted), p50 (ms)',
    'mem.step.oldest',
  ]);
  return rows;
}

const cpu = cpus();
console.log(
  `\nParcours bench — registration, ${rounds} round(s)${targets.length > 1 ? ' interleaved' : ''}, medians`,
);
console.log(
  `machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ` +
    `${alone} journeys 1 at a time, ${journeys} at 20 and at 50 concurrent per round`,
);
console.log(
  `no-op floor: update p50 ${fmt(floor.get('floor.p50.alone'))} ms 1 at a time; at 20 concurrent ` +
    `${fmt(floor.get('floor.jps'))} journeys/s, ${fmt(floor.get('floor.ups'))} updates/s, ` +
    `update p50 ${fmt(floor.get('floor.p50'))} ms, ${fmt(floor.get('floor.history'))} history events and ` +
    `${fmt(floor.get('floor.cpu.temporal'))} ms Temporal server and ${fmt(floor.get('floor.cpu.worker'))} ms worker CPU per journey`,
);
console.log(
  `no-op sign-in floor (update-with-start that ends the run): at 20 concurrent ${fmt(floor.get('floor1.jps'))} ` +
    `journeys/s, p50 ${fmt(floor.get('floor1.p50'))} ms, ${fmt(floor.get('floor1.history'))} history events, ` +
    `${fmt(floor.get('floor1.cpu.temporal'))} ms Temporal server and ${fmt(floor.get('floor1.cpu.worker'))} ms ` +
    `worker CPU per journey\n`,
);
const header = ['', ...columns.map((column) => `${column.label} (${commits.get(column.label)})`)];
if (columns.length === 2) header.push('this ÷ baseline');
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map((_, index) => (index ? ' ---: ' : ' --- ')).join('|')}|`);
for (const row of rows) {
  if (row.length === 1) {
    console.log(`| **${row[0]}** |${' |'.repeat(header.length - 1)}`);
    continue;
  }
  const [label, key, digits = 1] = row;
  const cells = columns.map((column) => fmt(column.metrics.get(key), digits));
  if (columns.length === 2) {
    const [mine, theirs] = columns.map((column) => column.metrics.get(key) ?? Number.NaN);
    cells.push(theirs ? `${fmt((mine as number) / (theirs as number), 2)}×` : '–');
  }
  console.log(`| ${label} | ${cells.join(' | ')} |`);
}
if (peers.length) printPeerTable();
for (const column of columns) {
  if (column.errors.length)
    console.log(
      `\n${column.label}: ${column.errors.length} errors, first: ${column.errors[0]}; the roles' output: ${join(tmpdir(), `parcours-bench-${column.label}-*.log`)}`,
    );
}
const peerErrors = peers.reduce((sum, peer) => sum + peer.signUp.errors + peer.signIn.errors, 0);
if (peerErrors) console.log(`\nbetter-auth: ${peerErrors} errors`);
process.exit(columns.some((column) => column.errors.length) || peerErrors ? 1 : 0);

/**
 * Parcours beside the peer, operation for operation: a password sign-in (theirs one call; ours a
 * start and two steps, its latency the password step's) and a sign-up (theirs one call with no
 * address check; ours a registration, three steps with an email code, its latency all steps').
 */
function printPeerTable(): void {
  const peer = (read: (round: PeerRound) => number) => median(peers.map(read));
  const rows: Array<[string, number, string, number?]> = [
    ['sign-ins/s, 20 concurrent', peer((r) => r.signIn.rps), 'login.rps.20'],
    [
      'sign-in p50 (ms; ours: the step that checks the password)',
      peer((r) => r.signIn.p50),
      'login.latency.password.p50',
    ],
    ['sign-in p95 (ms)', peer((r) => r.signIn.p95), 'login.latency.password.p95'],
    ['sign-in p99 (ms)', peer((r) => r.signIn.p99), 'login.latency.password.p99'],
    ['CPU ms per sign-in (all processes)', peer((r) => r.signIn.cpuMs), 'login.cpu.total'],
    ['sign-ups/s, 20 concurrent (ours: registrations)', peer((r) => r.signUp.rps), 'rps.20'],
    ['sign-up p50 (ms; ours: all steps)', peer((r) => r.signUp.p50), 'latency.loaded.all.p50'],
    ['sign-up p95 (ms)', peer((r) => r.signUp.p95), 'latency.loaded.all.p95'],
    ['sign-up p99 (ms)', peer((r) => r.signUp.p99), 'latency.loaded.all.p99'],
    ['CPU ms per sign-up (all processes)', peer((r) => r.signUp.cpuMs), 'cpu.total'],
    ['errors', peer((r) => r.signUp.errors + r.signIn.errors), 'errors', 0],
  ];
  console.log(
    `\nBeside the peer: better-auth ${peers[0]?.version} (its defaults: scrypt), same machine, ` +
      `${peers.length} round(s) interleaved with ours, medians; its sign-ups ${journeys} at 20 ` +
      `concurrent, its sign-ins for ${PEER_SIGN_IN_SECONDS} s at 20 concurrent\n`,
  );
  const head = ['', 'better-auth'];
  for (const column of columns)
    head.push(`${column.label} (${commits.get(column.label)})`, `${column.label} ÷ better-auth`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map((_, index) => (index ? ' ---: ' : ' --- ')).join('|')}|`);
  for (const [label, theirs, key, digits = 1] of rows) {
    const cells = [fmt(theirs, digits)];
    for (const column of columns) {
      const mine = column.metrics.get(key) ?? Number.NaN;
      cells.push(fmt(mine, digits), theirs ? `${fmt(mine / theirs, 2)}×` : '–');
    }
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
}
