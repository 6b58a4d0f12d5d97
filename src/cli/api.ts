// `npm run api`: the step API alone (production topology).
import { startApiRole } from '../runtime/roles.js';
import { roleContextFromEnv } from './roles-from-env.js';
import { runMain } from './run-main.js';

await runMain(async () => {
  const ctx = await roleContextFromEnv('api');
  const api = await startApiRole(ctx);
  ctx.log.info({ url: api.url }, 'step API listening');
  return api;
});
