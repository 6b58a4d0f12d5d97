// `npm run worker`: the worker role alone (production topology).
import { startWorkerRole } from '../runtime/roles.js';
import { roleContextFromEnv } from './roles-from-env.js';
import { runMain } from './run-main.js';

await runMain(async () => {
  const ctx = await roleContextFromEnv('worker');
  const worker = await startWorkerRole(ctx);
  ctx.log.info({ taskQueue: ctx.config.TEMPORAL_TASK_QUEUE }, 'worker running');
  return worker;
});
