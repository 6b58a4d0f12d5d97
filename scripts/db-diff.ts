// npm run db:diff -- <name>: writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL
// from the current migrations to prisma/schema.prisma. The migrations are replayed into a throwaway
// embedded Postgres (or into $SHADOW_DATABASE_URL, which must be an empty database).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import {
  checkMigrationName,
  defaultMigrationsDir,
  diffSchema,
  writeMigration,
} from '../src/db/migrate.js';

const name = process.argv[2];
if (!name) {
  console.error('usage: npm run db:diff -- <migration_name>');
  process.exit(2);
}
checkMigrationName(name);

async function withShadowDatabase<T>(run: (url: string) => Promise<T>): Promise<T> {
  const given = process.env.SHADOW_DATABASE_URL;
  if (given) return run(given);
  const dataDir = await mkdtemp(join(tmpdir(), 'parcours-shadow-'));
  const shadow = await startEmbeddedPostgres({ dataDir });
  try {
    return await run(shadow.url);
  } finally {
    await shadow.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const sql = await withShadowDatabase((shadowDatabaseUrl) =>
  diffSchema({ shadowDatabaseUrl, log: (msg) => console.error(msg) }),
);
if (sql === null) {
  console.log('no changes');
} else {
  const folder = await writeMigration(name, sql);
  console.log(`wrote ${join(defaultMigrationsDir, folder, 'migration.sql')}`);
}
