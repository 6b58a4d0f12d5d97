import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import { createPrisma } from '../../src/db/prisma.js';
import { loadConfig } from '../../src/runtime/config.js';
import { createLogger } from '../../src/runtime/log.js';
import {
  type ApiOverrides,
  type ProcessContext,
  startApiProcess,
  startWorkerProcess,
} from '../../src/runtime/processes.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { createRunKeys } from '../../src/security/run-keys.js';
import { connectTemporalClient } from '../../src/temporal/connection.js';
import { createTestDatabase } from './database.js';

export interface StackOptions extends ApiOverrides {
  smtpUrl?: string;
  /** More configuration, as environment variables (`CODES_PER_RECIPIENT_PER_HOUR`, …). */
  env?: Record<string, string>;
  /** Start no worker in this process (the durability test runs it in a child process). */
  withoutWorker?: boolean;
  keySpec?: string;
}

/**
 * The engine as `npm start` runs it, against the real Temporal dev server and a fresh Postgres
 * database, on its own task queue so test files do not take each other's work.
 */
/** Silent, unless a run looking into a failure asks for the stack's logs (PARCOURS_TEST_LOG=error). */
const TEST_LOG_LEVEL = (process.env.PARCOURS_TEST_LOG ?? 'silent') as 'silent';

export async function startStack(options: StackOptions = {}) {
  const db = await createTestDatabase();
  const keySpec = options.keySpec ?? generateKeySpec('test');
  const taskQueue = `test-${randomBytes(6).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    PARCOURS_KEYS: keySpec,
    LOG_LEVEL: TEST_LOG_LEVEL,
    // Tests drive hundreds of requests from one address; the limit has a test of its own.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_READS_PER_MINUTE: '1000000',
    // Runs opened and never submitted end soon after their first step's (short) timeout.
    PENDING_RUN_SWEEP_MS: '200',
    // No test reaches the internet: the breach check has a test of its own, against a local fake.
    BREACHED_PASSWORDS_URL: 'off',
    ...(options.smtpUrl ? { SMTP_URL: options.smtpUrl } : {}),
    ...options.env,
  });
  const keyring = createKeyring(keySpec);
  const ctx: ProcessContext = {
    config,
    keyring,
    log: createLogger(TEST_LOG_LEVEL),
    databaseUrl: db.url,
    temporalAddress: config.TEMPORAL_ADDRESS as string,
  };
  const workflowBundle = { code: await readFile(inject('workflowBundlePath'), 'utf8') };
  const worker = options.withoutWorker
    ? undefined
    : await startWorkerProcess(ctx, { workflowBundle });
  const api = await startApiProcess(ctx, { ...options, port: options.port ?? 0 });
  const prisma = createPrisma(db.url, { max: 2 });
  // The runs' own keys, as the API and the worker use them: what a test decodes, it decodes as they do.
  const runKeys = createRunKeys(prisma, keyring);
  const temporal = await connectTemporalClient({
    address: ctx.temporalAddress,
    namespace: config.TEMPORAL_NAMESPACE,
    keyring,
    runKeys,
  });
  return {
    url: api.url,
    ctx,
    config,
    keyring,
    keySpec,
    prisma,
    runKeys,
    temporal: temporal.client,
    workflowBundle,
    databaseUrl: db.url,
    async stop() {
      await api.stop();
      await worker?.stop();
      await temporal.connection.close();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
