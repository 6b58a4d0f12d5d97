// Records a registration run (the latest version, on the latest engine) as test/fixtures/histories/registration-v2.json, a history the
// replay test (test/integration/replay.test.ts) replays on every change: `npx tsx scripts/record-history.ts`.
// It brings up its own stack (Temporal dev server, a fresh database on the local PostgreSQL, an SMTP
// sink, worker and API) with the test-only key in test/fixtures/histories/test-keys.txt.
// Re-record only when the journey's behaviour changed compatibly; read replay.test.ts first.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/runtime/config.js';
import { createLogger } from '../src/runtime/log.js';
import { startApiProcess, startWorkerProcess } from '../src/runtime/processes.js';
import { startTemporalDevServer } from '../src/runtime/temporal-dev-server.js';
import { createKeyring } from '../src/security/keyring.js';
import { connectTemporalClient, journeySearchAttributeTypes } from '../src/temporal/connection.js';
import { createTestDatabase } from '../test/support/database.js';
import {
  recordRegistration,
  registrationHistoryFixtures,
  testKeySpec,
  writeHistoryFile,
} from '../test/support/record-registration.js';
import { startSmtpSink } from '../test/support/smtp-sink.js';

const stops: Array<() => Promise<void>> = [];
try {
  const server = await startTemporalDevServer({
    port: 0,
    uiPort: false,
    searchAttributes: journeySearchAttributeTypes,
  });
  stops.push(server.stop);
  const db = await createTestDatabase();
  stops.push(db.drop);
  const smtp = await startSmtpSink();
  stops.push(smtp.close);

  const keySpec = await testKeySpec();
  const config = loadConfig({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: 'record-history',
    PARCOURS_KEYS: keySpec,
    SMTP_URL: smtp.url,
    LOG_LEVEL: 'silent',
  });
  const keyring = createKeyring(keySpec);
  const ctx = {
    config,
    keyring,
    log: createLogger('silent'),
    databaseUrl: db.url,
    temporalAddress: server.address,
  };
  const worker = await startWorkerProcess(ctx);
  stops.push(worker.stop);
  const api = await startApiProcess(ctx, { port: 0 });
  stops.push(api.stop);
  const temporal = await connectTemporalClient({
    address: server.address,
    namespace: config.TEMPORAL_NAMESPACE,
    keyring,
  });
  stops.push(() => temporal.connection.close());

  const { run, history } = await recordRegistration({
    url: api.url,
    smtp,
    temporal: temporal.client,
    email: 'replay.fixture@example.com',
    password: 'a history worth replaying',
  });
  const fixture = registrationHistoryFixtures.latest;
  await writeHistoryFile(fixture, history);
  // In the project's own JSON style, so `npm run lint` takes the fixture as written.
  execFileSync(
    fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url)),
    ['format', '--write', fixture],
    { stdio: 'ignore' },
  );
  console.log(`recorded ${run.id}: ${history.events?.length} events -> ${fixture}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  for (const stop of stops.reverse()) await stop();
}
