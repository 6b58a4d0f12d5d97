import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { withBatchAffinity } from './pglite-batch-affinity.js';

/** A running embedded Postgres. */
export interface EmbeddedPostgres {
  /** postgres:// URL for `applyMigrations` and `createPrisma`. */
  url: string;
  /** Stops serving and closes the database. Disconnect clients first. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** PGlite data folder (created when missing; initialised on first start, reused afterwards). */
  dataDir: string;
  /** Loopback port; 0 (default) picks a free one. */
  port?: number;
  /**
   * Concurrent client connections accepted (default 32): the Prisma pools plus the migration
   * engine's one. They are multiplexed onto PGlite's single session, one batch at a time.
   */
  maxConnections?: number;
}

/**
 * Serves a PGlite data folder over the Postgres wire protocol on 127.0.0.1, for the embedded
 * (no-setup) mode. PGlite executes one statement at a time: concurrency is correct but serial,
 * and a connection holding an open transaction makes the others wait until it ends.
 */
export async function startEmbeddedPostgres(
  opts: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  await mkdir(opts.dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir: opts.dataDir });
  const server = new PGLiteSocketServer({
    db: withBatchAffinity(db),
    host: '127.0.0.1',
    port: opts.port ?? 0,
    maxConnections: opts.maxConnections ?? 32,
  });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  const port = server.getServerConn().split(':').pop();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
