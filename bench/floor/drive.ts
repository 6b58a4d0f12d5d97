// Drives the no-op floors against the same dev server: the four round trips of a registration, or the
// one of a sign-in.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import { pool } from '../load.js';
import { advanceUpdate, type floorJourney, type floorSignIn, viewUpdate } from './workflows.js';

export interface FloorResult {
  journeysPerSecond: number;
  updatesPerSecond: number;
  updateMs: number[];
  workflowIds: string[];
}

const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** Starts the floor's own worker process; resolves with its pid once it polls. */
export async function startFloorWorker(address: string, taskQueue: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', workerPath, address, taskQueue], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.includes('floor worker ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`floor worker exited (${code})`)));
  });
  return {
    pid: child.pid as number,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
    },
  };
}

/**
 * `count` floor journeys, `concurrency` at a time: update-with-start, then three updates each (a
 * registration's shape); or, `oneStep`, update-with-start alone, which ends the run (a sign-in's).
 */
export async function driveFloor(options: {
  client: Client;
  taskQueue: string;
  count: number;
  concurrency: number;
  oneStep?: boolean;
}): Promise<FloorResult> {
  const { client } = options;
  const updateMs: number[] = [];
  const workflowIds: string[] = [];
  const timed = async <T>(call: () => Promise<T>) => {
    const started = performance.now();
    const result = await call();
    updateMs.push(performance.now() - started);
    return result;
  };
  const started = performance.now();
  await pool(options.count, options.concurrency, async () => {
    const workflowId = `floor-${randomUUID()}`;
    workflowIds.push(workflowId);
    if (options.oneStep) {
      await timed(() =>
        client.workflow.executeUpdateWithStart(advanceUpdate, {
          startWorkflowOperation: new WithStartWorkflowOperation<typeof floorSignIn>(
            'floorSignIn',
            { workflowId, taskQueue: options.taskQueue, workflowIdConflictPolicy: 'FAIL' },
          ),
        }),
      );
      return;
    }
    await timed(() =>
      client.workflow.executeUpdateWithStart(viewUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof floorJourney>(
          'floorJourney',
          {
            workflowId,
            taskQueue: options.taskQueue,
            workflowIdConflictPolicy: 'FAIL',
          },
        ),
      }),
    );
    const handle = client.workflow.getHandle(workflowId);
    for (let step = 0; step < 3; step += 1) await timed(() => handle.executeUpdate(advanceUpdate));
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    journeysPerSecond: options.count / seconds,
    updatesPerSecond: updateMs.length / seconds,
    updateMs,
    workflowIds,
  };
}
