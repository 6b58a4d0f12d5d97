import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationList } from '@prisma/schema-engine-wasm';
import { openSchemaEngine } from './schema-engine.js';

/** Where the migrations live unless told otherwise: Prisma's own folder format. */
export const defaultMigrationsDir = fileURLToPath(
  new URL('../../prisma/migrations', import.meta.url),
);
/** The Prisma schema that migrations are diffed against. */
export const defaultSchemaPath = fileURLToPath(
  new URL('../../prisma/schema.prisma', import.meta.url),
);

const LOCKFILE = 'migration_lock.toml';
const MIGRATION_FILE = 'migration.sql';
const NO_FILTERS = { externalTables: [], externalEnums: [] };

export interface MigrateOptions {
  /** Progress lines ("applied 2025…_init") and schema engine warnings. */
  log?: (msg: string) => void;
  /** Defaults to prisma/migrations of this repository. */
  migrationsDir?: string;
}

/**
 * Applies every migration folder not yet recorded in `_prisma_migrations` (the table and checksums
 * `prisma migrate deploy` uses), and returns the names applied: none when the database is current.
 * Runs on the WASM schema engine, so no native Prisma engine and no Node flag are needed.
 */
export async function applyMigrations(
  databaseUrl: string,
  opts: MigrateOptions = {},
): Promise<string[]> {
  const migrationsList = await readMigrations(opts.migrationsDir ?? defaultMigrationsDir);
  const { engine, close } = await openSchemaEngine(databaseUrl, { log: opts.log });
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList,
      filters: NO_FILTERS,
    });
    for (const name of appliedMigrationNames) opts.log?.(`applied ${name}`);
    if (appliedMigrationNames.length === 0) opts.log?.('no pending migrations');
    return appliedMigrationNames;
  } finally {
    await close();
  }
}

export interface DiffOptions extends MigrateOptions {
  /**
   * An EMPTY scratch database: the engine replays the migrations into it to learn their end state
   * (the WASM engine has no shadow database of its own). Its content is not cleaned up.
   */
  shadowDatabaseUrl: string;
  /** Defaults to prisma/schema.prisma of this repository. */
  schemaPath?: string;
}

/**
 * The SQL that takes a database from the end state of the migrations to the Prisma schema, or
 * null when they already agree (the `prisma migrate diff --from-migrations --to-schema` equivalent).
 */
export async function diffSchema(opts: DiffOptions): Promise<string | null> {
  const schemaPath = opts.schemaPath ?? defaultSchemaPath;
  const schema = { path: basename(schemaPath), content: await readFile(schemaPath, 'utf8') };
  const migrationsList = await readMigrations(opts.migrationsDir ?? defaultMigrationsDir);
  const { engine, close } = await openSchemaEngine(opts.shadowDatabaseUrl, {
    datamodel: schema,
    log: opts.log,
  });
  try {
    const result = await engine.diff({
      // Even with no migrations yet: diffing from the (empty) shadow database, not from nothing,
      // yields what `prisma migrate dev` writes (no CREATE SCHEMA "public").
      from: { tag: 'migrations', ...withLockfileProvider(migrationsList) },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: true, // 2 when there is something to migrate
      filters: NO_FILTERS,
    });
    return result.exitCode === 2 ? (result.stdout ?? '') : null;
  } finally {
    await close();
  }
}

/**
 * Writes `<migrationsDir>/<UTC yyyyMMddHHmmss>_<name>/migration.sql` and the lock file, as
 * `prisma migrate dev --create-only` would. Returns the migration folder name.
 */
export async function writeMigration(
  name: string,
  sql: string,
  opts: { migrationsDir?: string; now?: Date } = {},
): Promise<string> {
  checkMigrationName(name);
  const migrationsDir = opts.migrationsDir ?? defaultMigrationsDir;
  const stamp = (opts.now ?? new Date()).toISOString().replace(/\D/g, '').slice(0, 14);
  const folder = `${stamp}_${name}`;
  await mkdir(migrationsDir, { recursive: true });
  await mkdir(join(migrationsDir, folder)); // fails if it already exists
  await writeFile(join(migrationsDir, folder, MIGRATION_FILE), sql, 'utf8');
  await writeFile(join(migrationsDir, LOCKFILE), lockfileContent('postgresql'), 'utf8');
  return folder;
}

/** Throws unless `name` is usable in a migration folder name: lower-case letters, digits, `_`. */
export function checkMigrationName(name: string): void {
  if (!/^[a-z0-9_]+$/.test(name)) {
    throw new Error(`Migration name "${name}" must be lower-case letters, digits and underscores`);
  }
}

/** Reads the migrations folder the way the Prisma CLI does before handing it to the engine. */
export async function readMigrations(migrationsDir: string): Promise<MigrationList> {
  const lockfile = {
    path: LOCKFILE,
    content: await readFile(join(migrationsDir, LOCKFILE), 'utf8').catch(() => null),
  };
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const folders = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
  const migrationDirectories = await Promise.all(
    folders.map(async (folder) => ({
      path: folder,
      migrationFile: {
        path: MIGRATION_FILE,
        content: await readFile(join(migrationsDir, folder, MIGRATION_FILE), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (err: Error) => ({ tag: 'error' as const, value: err.message }),
        ),
      },
    })),
  );
  return { baseDir: migrationsDir, lockfile, shadowDbInitScript: '', migrationDirectories };
}

// The engine reads the provider of a migrations source from the lock file.
function withLockfileProvider(list: MigrationList): MigrationList {
  return list.lockfile.content === null
    ? { ...list, lockfile: { ...list.lockfile, content: lockfileContent('postgresql') } }
    : list;
}

function lockfileContent(provider: string): string {
  return [
    '# Please do not edit this file manually',
    '# It should be added in your version-control system (e.g., Git)',
    `provider = "${provider}"`,
    '',
  ].join('\n');
}
