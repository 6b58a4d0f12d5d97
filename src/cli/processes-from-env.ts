import { loadConfig } from '../runtime/config.js';
import { createLogger } from '../runtime/log.js';
import { loadKeyring, type ProcessContext } from '../runtime/processes.js';

/** The context of a separately started process: it needs real services, named by the environment. */
export async function processContextFromEnv(name: string): Promise<ProcessContext> {
  const config = loadConfig();
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) {
    throw new Error(
      `npm run ${name} needs DATABASE_URL and TEMPORAL_ADDRESS (for everything on embedded defaults, use npm start)`,
    );
  }
  return {
    config,
    keyring: await loadKeyring(config),
    log: createLogger(config.LOG_LEVEL, `parcours-${name}`),
    databaseUrl: config.DATABASE_URL,
    temporalAddress: config.TEMPORAL_ADDRESS,
  };
}
