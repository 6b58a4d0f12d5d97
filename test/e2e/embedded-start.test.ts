import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findFreePort } from '../../src/runtime/free-port.js';
import { codeIn, stepApiClient } from '../support/http.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let engine: ChildProcess;
let dataDir: string;
let baseUrl: string;
let output = '';

/** `npm start` as a newcomer runs it: no DATABASE_URL, no TEMPORAL_ADDRESS, no keys, no SMTP. */
async function startEngine(): Promise<void> {
  const port = await findFreePort();
  engine = spawn(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PARCOURS_DATA_DIR: dataDir,
      PORT: String(port),
      TEMPORAL_DEV_PORT: '0',
      TEMPORAL_UI_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Parcours is running')) resolve();
    };
    engine.stdout?.on('data', onData);
    engine.stderr?.on('data', onData);
    engine.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
  });
  baseUrl = `http://127.0.0.1:${port}`;
}

async function stopEngine(): Promise<void> {
  if (engine.exitCode !== null || engine.signalCode !== null) return;
  const exited = once(engine, 'exit');
  engine.kill('SIGINT');
  await exited;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parcours-embedded-'));
  await startEngine();
}, 120_000);
afterAll(async () => {
  await stopEngine();
  await rm(dataDir, { recursive: true, force: true });
});

it('registers a customer on the embedded defaults, reading the code from the dev outbox, and keeps it across a restart', async () => {
  expect(output).toContain('embedded dev server');
  expect(output).toContain('embedded Postgres (PGlite)');
  const api = stepApiClient(baseUrl);
  expect((await api.call('GET', '/readyz')).body).toMatchObject({ database: 'ok', temporal: 'ok' });

  const { id, token } = (await api.start()).body;
  await api.submit(id, token, 'credentials', {
    email: 'newcomer@example.com',
    password: 'first day at parcours',
  });
  const outbox = await api.call('GET', '/dev/outbox', { headers: { accept: 'application/json' } });
  const [mail] = outbox.body.messages;
  expect(mail).toMatchObject({ to: 'newcomer@example.com', template: 'registration-code' });
  await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
  const done = await api.submit(id, token, 'terms', { accept: true, policyVersion: '2026-11-01' });
  expect(done.body).toMatchObject({
    status: 'completed',
    result: { session: { token: expect.any(String) } },
  });

  // Ctrl-C stops everything cleanly; the data folder keeps Temporal's history, the database and the keys.
  await stopEngine();
  expect(engine.signalCode ?? engine.exitCode).toBe(0);
  output = '';
  await startEngine();
  const again = await stepApiClient(baseUrl).get(id, token);
  expect(again.body).toMatchObject({
    status: 'completed',
    result: { user: { id: done.body.result.user.id } },
  });
}, 180_000);
