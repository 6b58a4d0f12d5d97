import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
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

/** The README's shell blocks under a heading, as a newcomer pastes them. */
function readmeShell(heading: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`## ${heading}`));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error(`no sh block under "${heading}" in the README`);
  return block[1];
}

/** Runs shell text in bash against the engine, stopping at the first failed command. */
function runShell(script: string) {
  return spawnSync('bash', ['-c', `set -eo pipefail\n${script}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    timeout: 60_000,
  });
}

it("runs the README's curl walkthroughs as written, twice in a row, and shows a refused call instead of hiding it", async () => {
  const walkthrough = [
    readmeShell('Register a customer with curl'),
    readmeShell('Change the email address'),
    readmeShell('Sign in, with an authenticator app as a second factor, and step up'),
    readmeShell('Funnel analytics'),
  ]
    .join('\n')
    .replace('API=http://127.0.0.1:3000', `API=${baseUrl}`);
  expect(walkthrough).toContain(`API=${baseUrl}`);
  for (const round of [1, 2]) {
    const run = runShell(walkthrough);
    expect(run.status, `round ${round}:\n${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('"status": "completed"');
    expect(run.stdout).toContain('logged out');
    expect(run.stdout).toMatch(/"aal": 2,\s*"amr": \[\s*"pwd",\s*"otp",\s*"mfa"\s*\]/);
    expect(run.stdout).toContain('"type": "session_raised"');
    expect(run.stdout).toContain('old token refused');
    expect(run.stdout).toMatch(/"remaining": 9/);
    // The funnel counts the registrations the walkthrough made (embedded mode: open to this machine).
    expect(run.stdout).toMatch(/"step": "credentials",\s*"reached": \d+/);
  }
  // The same step again: `call` prints the refusal and fails, where plain curl -s printed nothing.
  const refused = runShell(`${walkthrough}\ncall -X POST $API/v1/journeys/$ID/steps/totp \\
  -H "Journey-Token: $TOKEN" -H 'Content-Type: application/json' -d '{"code":"000000"}'`);
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toMatch(/HTTP 409 \{.*"code":"journey_closed"/);
}, 120_000);
