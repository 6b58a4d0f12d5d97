// The peer a team would pick instead of Parcours: better-auth with email and password, run from
// its harness (../shared/peers/better-auth/, copied out and installed once) in the same run and on
// the same machine as Parcours, so that the table's ratios compare like with like.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { findFreePort } from '../src/runtime/free-port.js';
import { readProcessesNamed, readProcessTreeMs } from './proc-cpu.js';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface PeerPhase {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  ok: number;
  errors: number;
  /** CPU of the peer's server and of PostgreSQL, per operation. */
  cpuMs: number;
}

export interface PeerRound {
  version: string;
  signUp: PeerPhase;
  signIn: PeerPhase;
}

/**
 * The harness copied into a folder of its own and installed there once (its lockfile-free
 * `npm i`, as its README says); a later run reuses the install while the harness is unchanged.
 */
export function preparePeer(harness: string): string {
  if (!existsSync(join(harness, 'load.js')))
    throw new Error(
      `the peer's harness is missing at ${harness}: copy ../shared beside this checkout, or run the bench with --no-peer`,
    );
  const dir = join(tmpdir(), 'parcours-peer-better-auth');
  const pinned = JSON.parse(readFileSync(join(harness, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const installed = join(dir, 'node_modules/better-auth/package.json');
  const current =
    existsSync(installed) &&
    (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version ===
      pinned.dependencies['better-auth'] &&
    ['load.js', 'server.js', 'auth.js'].every(
      (file) => readFileSync(join(harness, file), 'utf8') === readFileSync(join(dir, file), 'utf8'),
    );
  if (!current) {
    rmSync(dir, { recursive: true, force: true });
    cpSync(harness, dir, { recursive: true });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return dir;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function startServer(dir: string, env: NodeJS.ProcessEnv, url: string) {
  const server: ChildProcess = spawn(process.execPath, ['server.js'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const up = await fetch(`${url}/api/auth/ok`).then(
      (answer) => answer.ok,
      () => false,
    );
    if (up) return server;
    if (server.exitCode !== null) break;
    await sleep(100);
  }
  server.kill();
  throw new Error(`better-auth's server did not answer at ${url}`);
}

interface LoadLine {
  phase: string;
  ok: number;
  errors: Record<string, number>;
  rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

/**
 * One round of the peer on a fresh database: the harness's own migration, server and load
 * generator, with sign-ups and sign-ins both at `concurrency` (ours are measured at 20 too), and
 * the CPU of its server and of PostgreSQL read from /proc around each phase.
 */
export async function measurePeer(
  dir: string,
  options: { users: number; concurrency: number; signInSeconds: number },
): Promise<PeerRound> {
  const database = `ba_bench_${process.pid}_${Date.now()}`;
  await admin(`CREATE DATABASE ${database}`);
  const url = `http://127.0.0.1:${await findFreePort()}`;
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
    BA_BASE_URL: url,
  };
  let server: ChildProcess | undefined;
  try {
    execFileSync('npx', ['--yes', 'auth@1', 'migrate', '--config', 'auth.js', '--yes'], {
      cwd: dir,
      env,
      stdio: 'ignore',
    });
    server = await startServer(dir, env, url);
    const serverPid = server.pid as number;
    const startFile = join(dir, `signin-start.${database}`);
    const cpu = () => readProcessTreeMs(serverPid) + readProcessesNamed('postgres');
    const load = spawn(process.execPath, ['load.js', database], {
      cwd: dir,
      env: {
        ...env,
        N_USERS: String(options.users),
        SIGNUP_CONC: String(options.concurrency),
        SIGNIN_CONC: String(options.concurrency),
        SIGNIN_SECS: String(options.signInSeconds),
        SOLO_N: '0',
        SIGNIN_START_FILE: startFile,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    load.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = once(load, 'exit');
    const atStart = cpu();
    while (!existsSync(startFile) && load.exitCode === null) await sleep(20);
    const atSignIn = cpu();
    const [code] = await exited;
    const atEnd = cpu();
    rmSync(startFile, { force: true });
    if (code !== 0) throw new Error(`the peer's load generator exited ${code}:\n${output}`);
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LoadLine);
    const phase = (prefix: string, cpuMs: number): PeerPhase => {
      const line = lines.find((candidate) => candidate.phase.startsWith(prefix));
      if (!line) throw new Error(`the peer's load generator printed no '${prefix}' phase`);
      const errors = Object.values(line.errors).reduce((sum, count) => sum + count, 0);
      return {
        rps: line.rps,
        p50: line.p50_ms,
        p95: line.p95_ms,
        p99: line.p99_ms,
        ok: line.ok,
        errors,
        cpuMs: cpuMs / Math.max(1, line.ok),
      };
    };
    return {
      version: (
        JSON.parse(readFileSync(join(dir, 'node_modules/better-auth/package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
      signUp: phase('sign-up', atSignIn - atStart),
      signIn: phase('sign-in (', atEnd - atSignIn),
    };
  } finally {
    if (server && server.exitCode === null) {
      const stopped = once(server, 'exit');
      server.kill('SIGTERM');
      await stopped;
    }
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}
