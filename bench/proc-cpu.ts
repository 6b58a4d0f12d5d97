// CPU time of processes and their threads, read from /proc (Linux). Threads are told apart by the
// names bench/thread-names.cjs gives them; times are in clock ticks (USER_HZ), turned into ms.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux (getconf CLK_TCK)

/** utime+stime and cutime+cstime (waited-for children) of a /proc stat line, in ms. */
function parseStat(text: string): { comm: string; ppid: number; ms: number; childrenMs: number } {
  // The name sits in parentheses and may itself hold spaces or parentheses: split after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17; ppid is 4.
  const at = (field: number) => Number(fields[field - 3]);
  return {
    comm,
    ppid: at(4),
    ms: (at(14) + at(15)) * TICK_MS,
    childrenMs: (at(16) + at(17)) * TICK_MS,
  };
}

const readStat = (path: string) => {
  try {
    return parseStat(readFileSync(path, 'utf8'));
  } catch {
    return undefined; // the process or thread has exited
  }
};

/** One process: its total (threads that have exited included) and each live thread by name. */
export interface ProcessCpu {
  totalMs: number;
  threads: Map<string, number>;
}

/**
 * Reads a process and its live threads. Threads are summed by kind: `main` (the event loop),
 * `wt-*` (worker threads), `v8-helper`, `node` (libuv's pool and other native threads) or their
 * own name (Tokio's, for Temporal Core).
 */
export function readProcessCpu(pid: number): ProcessCpu {
  const total = readStat(`/proc/${pid}/stat`);
  const threads = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    // exited
  }
  for (const tid of tids) {
    const stat = readStat(`/proc/${pid}/task/${tid}/stat`);
    if (!stat) continue;
    const kind = Number(tid) === pid ? 'main' : stat.comm;
    threads.set(kind, (threads.get(kind) ?? 0) + stat.ms);
  }
  return { totalMs: total?.ms ?? 0, threads };
}

/**
 * CPU of every process named `comm` (PostgreSQL's postmaster and its backends), plus what their
 * exited children left in the parent's cumulative counters.
 */
export function readProcessesNamed(comm: string): number {
  let ms = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(`/proc/${entry}/stat`);
    if (stat?.comm !== comm) continue;
    ms += stat.ms;
    const parent = readStat(`/proc/${stat.ppid}/stat`);
    // Only the postmaster (whose parent is not a postgres) carries its backends' exited time.
    if (parent?.comm !== comm) ms += stat.childrenMs;
  }
  return ms;
}

/** A process's own CPU with what its exited children left behind (a server that forks). */
export function readProcessTreeMs(pid: number): number {
  const stat = readStat(`/proc/${pid}/stat`);
  return stat ? stat.ms + stat.childrenMs : 0;
}

/** The difference between two readings of one process, by thread kind, with exited threads apart. */
export function diffProcessCpu(before: ProcessCpu, after: ProcessCpu): Map<string, number> {
  const diff = new Map<string, number>();
  let live = 0;
  for (const [kind, ms] of after.threads) {
    const delta = Math.max(0, ms - (before.threads.get(kind) ?? 0));
    diff.set(kind, delta);
    live += delta;
  }
  // Threads that ran and ended within the window (the VM watchdog's, short-lived pools) show
  // only in the process total.
  diff.set('exited', Math.max(0, after.totalMs - before.totalMs - live));
  return diff;
}
