// `npm start`: the whole engine on one machine, on embedded defaults unless the environment names real services.
import { join, relative } from 'node:path';
import { loadConfig } from '../runtime/config.js';
import { createLogger } from '../runtime/log.js';
import { operatorKeyFile } from '../runtime/operator-keys.js';
import {
  loadKeyring,
  startApiProcess,
  startInfrastructure,
  startWorkerProcess,
} from '../runtime/processes.js';
import { runMain } from './run-main.js';

/** A path as the banner shows it: from the working directory when it is under it (`./.parcours/…`). */
function shown(path: string): string {
  const below = relative(process.cwd(), path);
  return below && !below.startsWith('..') ? `./${below}` : path;
}

await runMain(async () => {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const keyring = await loadKeyring(config);
  const infrastructure = await startInfrastructure(config, log);
  const ctx = {
    config,
    keyring,
    log,
    databaseUrl: infrastructure.databaseUrl,
    temporalAddress: infrastructure.temporalAddress,
  };
  const worker = await startWorkerProcess(ctx);
  // A refused start (the port taken) stops what already runs: no Temporal dev server left behind.
  const api = await startApiProcess(ctx).catch(async (error: unknown) => {
    await worker.stop();
    await infrastructure.stop();
    throw error;
  });
  console.log(
    [
      '',
      'Parcours is running',
      `  step API      ${api.url}/v1/journeys`,
      `  OpenAPI       ${api.url}/openapi.json`,
      `  hosted pages  ${api.url}/pages/login`,
      `  OIDC issuer   ${config.PARCOURS_PUBLIC_URL?.replace(/\/+$/, '') ?? api.url}/oidc`,
      ...(config.devOutbox ? [`  dev outbox    ${api.url}/dev/outbox`] : []),
      ...(config.analytics ? [`  dashboard     ${api.url}/dashboard/`] : []),
      // Being on this machine opens no operator surface: the developer who started it is shown the key.
      ...(api.operatorKey
        ? [
            `  operator key  ${api.operatorKey}  (dashboard, funnel API, codec; also in ${shown(operatorKeyFile(config.dataDir))})`,
          ]
        : []),
      ...(infrastructure.temporalUi ? [`  Temporal UI   ${infrastructure.temporalUi}`] : []),
      `  Temporal      ${infrastructure.temporalAddress}${config.embeddedTemporal ? ' (embedded dev server)' : ''}`,
      `  database      ${config.embeddedDatabase ? `embedded Postgres (PGlite) in ${shown(join(config.dataDir, 'pgdata'))}` : 'DATABASE_URL'}`,
      '',
    ].join('\n'),
  );
  return {
    async stop() {
      await api.stop();
      await worker.stop();
      await infrastructure.stop();
    },
  };
});
