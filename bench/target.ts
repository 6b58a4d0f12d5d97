// A system under test: one checkout of Parcours (this one, or another commit for an interleaved
// comparison) started as production runs it, the API and the worker as separate processes.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../src/runtime/free-port.js';

const threadNames = fileURLToPath(new URL('./thread-names.cjs', import.meta.url));

export interface TargetOptions {
  /** The checkout to run: its own code, dependencies and migrations. */
  dir: string;
  databaseUrl: string;
  temporalAddress: string;
  smtpUrl: string;
  keys: string;
  /** Where the roles' output goes once they serve (Temporal Core logs failed workflow tasks there). */
  logFile: string;
  /** Where `--cpu-prof` writes each process's profiles (one per thread); none when absent. */
  profileDir?: string;
}

export interface RunningTarget {
  apiUrl: string;
  apiPid: number;
  workerPid: number;
  stop(): Promise<void>;
}

/** The commit a checkout is at, for the table's header. */
export function commitOf(dir: string): string {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir }).toString();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dir })
    .toString()
    .trim();
  return `${commit.trim()}${dirty ? '+changes' : ''}`;
}

/** Applies the checkout's own migrations to the database (`npm run db:migrate` without npm). */
export async function migrateWith(dir: string, databaseUrl: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts'], {
    cwd: resolve(dir),
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`db:migrate failed in ${dir} (exit ${code})`);
}

function startRole(
  role: 'api' | 'worker',
  options: TargetOptions,
  env: Record<string, string>,
): { child: ChildProcess; ready: Promise<void> } {
  const profile = options.profileDir
    ? [`--cpu-prof`, `--cpu-prof-dir=${join(options.profileDir, role)}`]
    : [];
  if (options.profileDir) mkdirSync(join(options.profileDir, role), { recursive: true });
  const child = spawn(
    process.execPath,
    ['--require', threadNames, ...profile, '--import', 'tsx', `src/cli/${role}.ts`],
    {
      cwd: resolve(options.dir),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const tail: string[] = [];
  const ready = new Promise<void>((resolveReady, reject) => {
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      // pino's JSON lines: both roles log one line when they are ready.
      if (/"msg":"(step API listening|worker running)"/.test(line)) resolveReady();
    };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', onLine);
    child.once('exit', (code) =>
      reject(new Error(`${role} in ${options.dir} exited (${code}):\n${tail.join('\n')}`)),
    );
  });
  return { child, ready };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  // SIGINT: runMain stops the role cleanly, so --cpu-prof gets to write its profile.
  child.kill('SIGINT');
  const escalation = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(escalation);
}

/** Starts the checkout's worker and API against the given services; resolves once both serve. */
export async function startTarget(options: TargetOptions): Promise<RunningTarget> {
  const port = await findFreePort();
  const env = {
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: options.temporalAddress,
    SMTP_URL: options.smtpUrl,
    PARCOURS_KEYS: options.keys,
    PORT: String(port),
    // The per-IP write limit (120/min by default) would throttle a load generator on one address.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_READS_PER_MINUTE: '1000000',
    // Sign-in attempts count against their requester while they are worked on: 20 concurrent
    // sign-ins from the load generator's one address would reach the spraying limit (20).
    SIGN_IN_FAILURES_PER_REQUESTER_PER_HOUR: '1000000',
    // No third party in a measurement (and none reachable here): the breach check's cost is a
    // network round trip the bench cannot stand for.
    BREACHED_PASSWORDS_URL: 'off',
    LOG_LEVEL: 'info',
  };
  const worker = startRole('worker', options, env);
  const api = startRole('api', options, env);
  try {
    await Promise.all([worker.ready, api.ready]);
  } catch (error) {
    await Promise.all([stopChild(worker.child), stopChild(api.child)]);
    throw error;
  }
  // What the roles print once they serve goes to a file: Temporal Core logs failed tasks there.
  const log = createWriteStream(options.logFile, { flags: 'a' });
  for (const child of [worker.child, api.child]) {
    child.stdout?.removeAllListeners('data');
    child.stderr?.removeAllListeners('data');
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
  }
  await sleep(200);
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    apiPid: api.child.pid as number,
    workerPid: worker.child.pid as number,
    async stop() {
      await Promise.all([stopChild(api.child), stopChild(worker.child)]);
    },
  };
}
