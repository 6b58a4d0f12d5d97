import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '../../src/db/migrate.js';

const SERVER_URL = 'postgres://postgres@127.0.0.1:5432';

/** A migrated, uniquely named database on the local test server. */
export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database, closing any connection still open on it. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh database on the PostgreSQL server at 127.0.0.1:5432 and applies the migrations
 * (this checkout's, unless `migrate` applies another's). Throws when the server is unreachable:
 * integration tests must fail, never skip, without it.
 */
export async function createTestDatabase(
  migrate: (url: string) => Promise<unknown> = applyMigrations,
): Promise<TestDatabase> {
  const name = `parcours_test_${randomBytes(6).toString('hex')}`;
  await withServer((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = `${SERVER_URL}/${name}`;
  const drop = () =>
    withServer((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  try {
    await migrate(url);
  } catch (err) {
    await drop();
    throw err;
  }
  return { url, name, drop: async () => void (await drop()) };
}

async function withServer<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: `${SERVER_URL}/postgres`,
    connectionTimeoutMillis: 5_000,
  });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `Integration tests need PostgreSQL at ${SERVER_URL} (user postgres, trust auth), and it is not ` +
        `reachable: ${String(err)}. Start the server; these tests never skip.`,
      { cause: err },
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
