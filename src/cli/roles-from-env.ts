import { loadConfig } from '../runtime/config.js';
import { createLogger } from '../runtime/log.js';
import { loadKeyring, type RoleContext } from '../runtime/roles.js';

/** The context of a separately started role: it needs real services, named by the environment. */
export async function roleContextFromEnv(role: string): Promise<RoleContext> {
  const config = loadConfig();
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) {
    throw new Error(
      `npm run ${role} needs DATABASE_URL and TEMPORAL_ADDRESS (for everything on embedded defaults, use npm start)`,
    );
  }
  return {
    config,
    keyring: await loadKeyring(config),
    log: createLogger(config.LOG_LEVEL, `parcours-${role}`),
    databaseUrl: config.DATABASE_URL,
    temporalAddress: config.TEMPORAL_ADDRESS,
  };
}
