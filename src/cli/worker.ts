// `npm run worker`: the worker process alone (production topology).
import { startWorkerProcess } from '../runtime/processes.js';
import { processContextFromEnv } from './processes-from-env.js';
import { runMain } from './run-main.js';

await runMain(async () => {
  const ctx = await processContextFromEnv('worker');
  const worker = await startWorkerProcess(ctx);
  ctx.log.info({ taskQueue: ctx.config.TEMPORAL_TASK_QUEUE }, 'worker running');
  return worker;
});
