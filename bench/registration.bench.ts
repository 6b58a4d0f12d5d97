// `npm run bench`: registrations end to end over HTTP on real Temporal + Postgres + SMTP, and the
// same steps through the in-memory test kit as a baseline. Figures are medians and percentiles of one run.

import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { registration } from '../journeys/registration.js';
import { businessFailure } from '../src/engine/journey-error.js';
import { createJourneyTestKit } from '../src/engine/test-kit.js';
import { loadConfig } from '../src/runtime/config.js';
import { createLogger } from '../src/runtime/log.js';
import { startApiRole, startWorkerRole } from '../src/runtime/roles.js';
import { journeySearchAttributeTypes } from '../src/runtime/temporal.js';
import { startTemporalDevServer } from '../src/runtime/temporal-dev-server.js';
import { createKeyring, generateKeySpec } from '../src/security/keyring.js';
import { createTestDatabase } from '../test/support/database.js';
import { codeIn, stepApiClient } from '../test/support/http.js';
import { startSmtpSink } from '../test/support/smtp-sink.js';

const { values } = parseArgs({
  options: {
    journeys: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '20' },
  },
});
const total = Number(values.journeys);
const concurrency = Number(values.concurrency);
const STEPS = ['start', 'credentials', 'verify-email', 'terms'] as const;
type Step = (typeof STEPS)[number];

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
};
const fmt = (ms: number) => ms.toFixed(ms < 10 ? 2 : 1).padStart(7);

async function pool(
  count: number,
  width: number,
  run: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await run(next++);
    }),
  );
}

function newLatencies(): Record<Step, number[]> {
  return { start: [], credentials: [], 'verify-email': [], terms: [] };
}

async function timed<T>(samples: number[], call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await call();
  samples.push(performance.now() - started);
  return result;
}

/** Over HTTP against the engine as `npm start` runs it (dev server with its SQLite file, WAL pragmas). */
async function benchHttp() {
  const dir = await mkdtemp(join(tmpdir(), 'parcours-bench-'));
  const temporal = await startTemporalDevServer({
    port: 0,
    uiPort: false,
    dbFile: join(dir, 'temporal.sqlite'),
    searchAttributes: journeySearchAttributeTypes,
  });
  const db = await createTestDatabase();
  const smtp = await startSmtpSink();
  const keySpec = generateKeySpec('bench');
  const config = loadConfig({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporal.address,
    PARCOURS_KEYS: keySpec,
    SMTP_URL: smtp.url,
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: 'silent',
  });
  const ctx = {
    config,
    keyring: createKeyring(keySpec),
    log: createLogger('silent'),
    databaseUrl: db.url,
    temporalAddress: temporal.address,
  };
  const worker = await startWorkerRole(ctx);
  const api = await startApiRole(ctx, { port: 0 });
  const client = stepApiClient(api.url);
  const latencies = newLatencies();
  const expectStatus = (answer: { status: number; body: unknown }, status: number) => {
    if (answer.status !== status)
      throw new Error(`expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  };
  const runOne = async (index: number) => {
    const email = `bench-${index}@example.com`;
    const started = await timed(latencies.start, () => client.start());
    expectStatus(started, 201);
    const { id, token } = started.body;
    expectStatus(
      await timed(latencies.credentials, () =>
        client.submit(id, token, 'credentials', {
          email,
          password: `bench passphrase number ${index}`,
        }),
      ),
      200,
    );
    const mail = await smtp.waitFor((message) => message.to.includes(email), 30_000);
    expectStatus(
      await timed(latencies['verify-email'], () =>
        client.submit(id, token, 'verify-email', { code: codeIn(mail.text) }),
      ),
      200,
    );
    const done = await timed(latencies.terms, () =>
      client.submit(id, token, 'terms', { accept: true, policyVersion: '2026-11-01' }),
    );
    expectStatus(done, 200);
    if (done.body.status !== 'completed')
      throw new Error(`journey ${id} ended ${done.body.status}`);
  };
  await pool(Math.min(10, total), Math.min(10, concurrency), async (index) => runOne(-1 - index)); // warm-up, not measured
  for (const samples of Object.values(latencies)) samples.splice(0);
  const started = performance.now();
  await pool(total, concurrency, runOne);
  const seconds = (performance.now() - started) / 1000;
  await api.stop();
  await worker.stop();
  await smtp.close();
  await db.drop();
  await temporal.stop();
  await rm(dir, { recursive: true, force: true });
  return { latencies, journeysPerSecond: total / seconds };
}

/** The same journeys in memory: the machine alone, fake activities, no I/O. */
async function benchTestKit() {
  const latencies = newLatencies();
  const runOne = async () => {
    let session = 0;
    const kit = await timed(latencies.start, async () => {
      const created = createJourneyTestKit(registration, {
        activities: {
          issueEmailCode: () => ({
            challengeId: 'c',
            messageId: 'm',
            expiresAt: '',
            resendAvailableAt: '',
          }),
          deliverMessage: () => ({ status: 'sent' }),
          verifyEmailCode: ({ code }: { code: string }) => {
            if (created.reveal(code) !== '123456') throw businessFailure('invalid_code', 'no');
            return { email: 'kit@example.com' };
          },
          createUser: () => ({ userId: 'u' }),
          createSession: () => ({
            id: `s${session++}`,
            token: { $secret: 'sec_0000000000000000000000' },
            aal: 1,
            amr: ['pwd'],
            authTime: '',
            expiresAt: '',
          }),
        },
      });
      await created.view();
      return created;
    });
    await timed(latencies.credentials, () =>
      kit.submit('credentials', { email: 'kit@example.com', password: 'bench passphrase' }),
    );
    await timed(latencies['verify-email'], () => kit.submit('verify-email', { code: '123456' }));
    const done = await timed(latencies.terms, () =>
      kit.submit('terms', { accept: true, policyVersion: '2026-11-01' }),
    );
    if (done.status !== 'completed') throw new Error('kit journey did not complete');
  };
  await pool(50, 1, runOne);
  for (const samples of Object.values(latencies)) samples.splice(0);
  const started = performance.now();
  await pool(total, concurrency, runOne);
  return { latencies, journeysPerSecond: total / ((performance.now() - started) / 1000) };
}

const http = await benchHttp();
const kit = await benchTestKit();
const cpu = cpus();
console.log(`\nParcours bench — registration@1, ${total} journeys, ${concurrency} concurrent`);
console.log(
  `machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log('\nstep            HTTP p50  p95     p99     | kit p50  p95     p99     | p50 ratio');
for (const step of STEPS) {
  const h = stats(http.latencies[step]);
  const k = stats(kit.latencies[step]);
  console.log(
    `${step.padEnd(14)} ${fmt(h.p50)} ${fmt(h.p95)} ${fmt(h.p99)} | ${fmt(k.p50)} ${fmt(k.p95)} ${fmt(k.p99)} | ${(h.p50 / k.p50).toFixed(0).padStart(6)}×`,
  );
}
console.log(
  `\njourneys/s      HTTP ${http.journeysPerSecond.toFixed(1)}   kit ${kit.journeysPerSecond.toFixed(0)}   ratio ${(kit.journeysPerSecond / http.journeysPerSecond).toFixed(0)}×`,
);
console.log(
  'latencies in ms; HTTP = step API → Temporal update → activities → Postgres (SMTP delivery in the background)',
);
process.exit(0);
