import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '../temporal/connection.js';
import { findFreePort, isPortFree } from './free-port.js';
import { findTemporalCli } from './temporal-cli.js';

export interface TemporalDevServerOptions {
  /** SQLite file for durable state; in memory (lost on exit) when omitted. */
  dbFile?: string;
  /** Frontend gRPC port, default 7233; 0 picks a free one. */
  port?: number;
  /** Web UI port, default `port + 1000` (a free one when `port` is 0); `false` runs headless. */
  uiPort?: number | false;
  /** Where the UI asks to decode payloads (Temporal's remote codec: our API's /codec). */
  uiCodecEndpoint?: string;
  /** Namespace created at launch and awaited before resolving, default `default`. */
  namespace?: string;
  searchAttributes?: Record<string, SearchAttributeType>;
  /** Receives the server's stdout and stderr, line by line. */
  log?: (line: string) => void;
  /** How long to wait for the server to serve the namespace, default 30 s. */
  startTimeoutMs?: number;
}

export interface TemporalDevServer {
  /** `127.0.0.1:PORT`, for `Connection.connect({ address })`. */
  address: string;
  uiUrl?: string;
  /** The server's process id (the benchmark reads its CPU time from /proc). */
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const stopGraceMs = 5_000;
const stderrTailLines = 30;
const stderrHeadLines = 10;
const pollMs = 50;

/**
 * Starts `temporal server start-dev` on loopback and resolves once it serves `namespace`.
 * The server is killed when this process exits; call `stop()` to end it earlier.
 */
export async function startTemporalDevServer(
  opts: TemporalDevServerOptions = {},
): Promise<TemporalDevServer> {
  // A port we picked is free when we look and taken when the server binds it: the CLI picks its
  // own internal ports (HTTP API, services) the same way and can pick ours. With ports of our
  // choosing (0), such a collision is retried on new ones; a port the caller named is not.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(opts);
    } catch (error) {
      const collided = error instanceof Error && /address already in use/.test(error.message);
      if (opts.port !== 0 || !collided || attempt >= 3) throw error;
    }
  }
}

async function startOnce(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const cli = findTemporalCli();
  const namespace = opts.namespace ?? 'default';
  const port = opts.port === 0 ? await findFreePort(host) : (opts.port ?? 7233);
  const uiPort = await resolveUiPort(opts, port);
  // A server already on the port would answer our readiness probe in place of ours.
  if (!(await isPortFree(port, host))) {
    throw new Error(`Temporal dev server: ${host}:${port} is already in use.`);
  }
  if (opts.dbFile) mkdirSync(dirname(opts.dbFile), { recursive: true });

  const child = spawn(cli, devServerArgs(opts, { port, uiPort, namespace }), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // What it said: its first lines (a Go panic names its cause there, before a long stack) and its
  // last ones.
  const stderrTail: string[] = [];
  let stderrLines = 0;
  let stopping = false;
  forwardLines(child, (line, fromStderr) => {
    if (fromStderr) {
      stderrLines += 1;
      if (stderrLines <= stderrHeadLines) stderrTail.push(line);
      else {
        if (stderrLines === stderrHeadLines + 1) stderrTail.push('…');
        stderrTail.push(line);
        if (stderrTail.length > stderrHeadLines + 1 + stderrTailLines)
          stderrTail.splice(stderrHeadLines + 1, 1);
      }
    }
    // Shutdown is noisy (cancelled polls); nobody needs those lines.
    if (!stopping) opts.log?.(line);
  });

  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    stopping = true;
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const escalation = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
      await exited;
      clearTimeout(escalation);
    }
    await exited;
  };

  const address = `${host}:${port}`;
  try {
    await waitUntilServing({
      address,
      namespace,
      child,
      timeoutMs: opts.startTimeoutMs ?? 30_000,
      stderrTail,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address,
    ...(uiPort ? { uiUrl: `http://${host}:${uiPort}` } : {}),
    pid: child.pid as number,
    stop,
  };
}

async function resolveUiPort(
  opts: TemporalDevServerOptions,
  port: number,
): Promise<number | false> {
  if (opts.uiPort === false) return false;
  if (opts.uiPort !== undefined && opts.uiPort !== 0) return opts.uiPort;
  // port + 1000 is the CLI's own convention, but is no safer than any port when ours was random.
  return opts.port === 0 || opts.uiPort === 0 ? findFreePort(host) : port + 1000;
}

function devServerArgs(
  opts: TemporalDevServerOptions,
  resolved: { port: number; uiPort: number | false; namespace: string },
): string[] {
  const args = ['server', 'start-dev', '--ip', host, '--port', String(resolved.port)];
  // No outbound network here: the UI's news feed would only fail.
  if (resolved.uiPort === false) args.push('--headless');
  else {
    args.push('--ui-port', String(resolved.uiPort), '--ui-disable-news-fetch');
    if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  }
  if (opts.dbFile) {
    // WAL + synchronous=normal doubles throughput and still survives a process crash.
    args.push('--db-filename', opts.dbFile);
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  args.push('--namespace', resolved.namespace);
  for (const [name, type] of Object.entries(opts.searchAttributes ?? {})) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  args.push('--log-level', 'warn');
  return args;
}

function forwardLines(child: ChildProcess, onLine: (line: string, fromStderr: boolean) => void) {
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => onLine(line, false));
  }
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (line) => onLine(line, true));
  }
}

async function waitUntilServing(args: {
  address: string;
  namespace: string;
  child: ChildProcess;
  timeoutMs: number;
  stderrTail: string[];
}): Promise<void> {
  const { address, namespace, child, timeoutMs, stderrTail } = args;
  const deadline = Date.now() + timeoutMs;
  const failure = (why: string) =>
    new Error(
      `Temporal dev server ${why}.\n` +
        `command: ${child.spawnargs.join(' ')}\n` +
        (stderrTail.length ? `stderr:\n${stderrTail.join('\n')}` : 'stderr: (empty)'),
    );
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const checkAlive = () => {
    if (spawnError) throw failure(`could not be started (${spawnError.message})`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw failure(`exited early (${child.exitCode ?? child.signalCode})`);
    }
    if (Date.now() > deadline) throw failure(`was not serving ${address} after ${timeoutMs} ms`);
  };

  // A plain TCP poll first: gRPC's reconnect backoff would add up to a second after a refusal.
  while (!(await acceptsTcp(address))) {
    checkAlive();
    await sleep(pollMs);
  }
  let connection: Connection | undefined;
  try {
    for (;;) {
      checkAlive();
      try {
        connection ??= await Connection.connect({
          address,
          connectTimeout: Math.max(deadline - Date.now(), 1),
        });
        // Serving the namespace (not just cluster health) is what callers need next.
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } catch {
        await sleep(pollMs);
      }
    }
  } finally {
    await connection?.close();
  }
}

async function acceptsTcp(address: string): Promise<boolean> {
  const [hostname, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: hostname, port: Number(port) });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
