import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../../src/runtime/free-port.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface EmbeddedEngine {
  url: string;
  /** Its PARCOURS_DATA_DIR, where a newcomer's `.parcours` would be. */
  dataDir: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** Ctrl-C, as a newcomer stops it: answers the exit code, or the signal that ended it. */
  stop(): Promise<number | NodeJS.Signals | null>;
}

/** `npm start` as a newcomer runs it: no DATABASE_URL, no TEMPORAL_ADDRESS, no keys, no SMTP. */
export async function startEmbeddedEngine(dataDir: string): Promise<EmbeddedEngine> {
  // The port is free when asked for, and may be taken before the engine binds it (by another
  // test's server, or by one of the engine's own on port 0): only that collision is tried again.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(dataDir, await findFreePort());
    } catch (error) {
      // The API says EADDRINUSE; the Temporal dev server (Go) "address already in use".
      if (attempt === 3 || !/EADDRINUSE|address already in use/.test(String(error))) throw error;
    }
  }
}

/** `npm start` on `port`, its output piped: the process, not yet known to be up. */
export function spawnStart(dataDir: string, port: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], {
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
}

async function startOnce(dataDir: string, port: number): Promise<EmbeddedEngine> {
  const engine = spawnStart(dataDir, port);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Parcours is running')) resolve();
    };
    engine.stdout?.on('data', onData);
    engine.stderr?.on('data', onData);
    engine.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    output: () => output,
    async stop() {
      if (engine.exitCode === null && engine.signalCode === null) {
        const exited = once(engine, 'exit');
        engine.kill('SIGINT');
        await exited;
      }
      return engine.signalCode ?? engine.exitCode;
    },
  };
}

/** The first shell block under a heading (`## Heading…`) of a Markdown page, as a newcomer pastes it. */
export function shellBlock(page: string, heading: string): string {
  const text = readFileSync(join(repoRoot, page), 'utf8');
  const at = text.indexOf(`## ${heading}`);
  if (at < 0) throw new Error(`no heading "${heading}" in ${page}`);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  if (!block?.[1]) throw new Error(`no sh block under "${heading}" in ${page}`);
  return block[1];
}

/** Runs shell text in bash against the engine, stopping at the first failed command. */
export function runShell(script: string) {
  return spawnSync('bash', ['-c', `set -eo pipefail\n${script}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    timeout: 120_000,
  });
}

/**
 * Points a walkthrough's `API=http://127.0.0.1:3000` at the engine under test, and the files it
 * reads from `.parcours/` (the operator key) at the engine's data folder.
 */
export function againstEngine(script: string, engine: EmbeddedEngine): string {
  const pointed = script
    .replace('API=http://127.0.0.1:3000', `API=${engine.url}`)
    .replaceAll(/(?<![\w/])\.parcours\//g, `${engine.dataDir}/`);
  if (!pointed.includes(`API=${engine.url}`))
    throw new Error('the walkthrough sets no API=http://127.0.0.1:3000');
  return pointed;
}
