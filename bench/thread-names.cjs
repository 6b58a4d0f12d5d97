// Preloaded (`node --require`) into the processes the benchmark measures, in the main thread and in
// every worker thread, so /proc can tell threads apart: Node names them all "node". A thread
// inherits its creator's name, so the main thread keeps "node" (libuv's pool, created later, stays
// "node"); the V8 platform threads that exist before any JavaScript runs become "v8-helper"; each
// worker thread (Temporal's workflow thread, a hashing pool) names itself "wt-<threadId>".
const { readdirSync, writeFileSync } = require('node:fs');
const { isMainThread, threadId } = require('node:worker_threads');

try {
  if (isMainThread) {
    for (const tid of readdirSync('/proc/self/task')) {
      if (Number(tid) !== process.pid) writeFileSync(`/proc/self/task/${tid}/comm`, 'v8-helper');
    }
  } else {
    writeFileSync('/proc/thread-self/comm', `wt-${threadId}`);
  }
} catch {
  // Not Linux, or /proc is read-only: the benchmark then reports the process totals only.
}
