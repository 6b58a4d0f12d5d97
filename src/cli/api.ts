// `npm run api`: the step API alone (production topology).
import { startApiProcess } from '../runtime/processes.js';
import { processContextFromEnv } from './processes-from-env.js';
import { runMain } from './run-main.js';

await runMain(async () => {
  const ctx = await processContextFromEnv('api');
  const api = await startApiProcess(ctx);
  ctx.log.info({ url: api.url }, 'step API listening');
  return api;
});
