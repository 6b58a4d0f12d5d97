import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { applyMigrations, defaultMigrationsDir, readMigrations } from '../../src/db/migrate.js';
import { createPrisma, isUniqueViolation } from '../../src/db/prisma.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const SLOW = 60_000; // PGlite's first start runs initdb

async function migrationFolders(): Promise<{ name: string; checksum: string }[]> {
  const { migrationDirectories } = await readMigrations(defaultMigrationsDir);
  return migrationDirectories.map(({ path, migrationFile }) => {
    if (migrationFile.content.tag !== 'ok') throw new Error(`unreadable migration ${path}`);
    return {
      name: path,
      checksum: createHash('sha256').update(migrationFile.content.value).digest('hex'),
    };
  });
}

function newEmail(): string {
  return `user-${randomBytes(6).toString('hex')}@example.test`;
}

describe('migrations on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  }, SLOW);
  afterAll(async () => {
    await db?.drop();
  });

  it('records every migration folder as `prisma migrate deploy` would, and a second apply is a no-op', async () => {
    expect(await applyMigrations(db.url)).toEqual([]);

    const client = new pg.Client(db.url);
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; checksum: string }>(
        `SELECT migration_name AS name, checksum FROM _prisma_migrations
         WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
      );
      expect(rows).toEqual(await migrationFolders());
    } finally {
      await client.end();
    }
  });

  it('rejects a second account for the same canonical email (unique identifier)', async () => {
    const prisma = createPrisma(db.url, { max: 2 });
    try {
      const email = newEmail();
      await prisma.user.create({
        data: { identifiers: { create: { type: 'email', value: email } } },
      });
      const duplicate = await prisma.user
        .create({ data: { identifiers: { create: { type: 'email', value: email } } } })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(isUniqueViolation(duplicate)).toBe(true);
      expect(isUniqueViolation(new Error('P2002'))).toBe(false);
      // The nested create runs in one transaction: no orphan user was left behind.
      expect(await prisma.identifier.count({ where: { value: email } })).toBe(1);
    } finally {
      await prisma.$disconnect();
    }
  });
});

describe('migrations and Prisma on embedded PostgreSQL (PGlite)', () => {
  let dataDir: string;
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parcours-pglite-'));
    server = await startEmbeddedPostgres({ dataDir });
  }, SLOW);
  afterAll(async () => {
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('applies the same migrations, then nothing on a second run', { timeout: SLOW }, async () => {
    const folders = await migrationFolders();
    expect(await applyMigrations(server.url)).toEqual(folders.map((folder) => folder.name));
    expect(await applyMigrations(server.url)).toEqual([]);
  });

  it('creates and reads a user with an identifier through Prisma, 20 at once', {
    timeout: SLOW,
  }, async () => {
    const prisma = createPrisma(server.url, { max: 5 });
    try {
      const email = newEmail();
      const created = await prisma.user.create({
        data: {
          createdByJourney: `journey-${email}`,
          identifiers: { create: { type: 'email', value: email } },
        },
      });
      const found = await prisma.identifier.findUnique({
        where: { type_value: { type: 'email', value: email } },
        include: { user: true },
      });
      expect(found?.user).toEqual(created);

      const emails = Array.from({ length: 20 }, newEmail);
      const users = await Promise.all(
        emails.map((value) =>
          prisma.user.create({ data: { identifiers: { create: { type: 'email', value } } } }),
        ),
      );
      expect(new Set(users.map((user) => user.id)).size).toBe(20);
      expect(await prisma.identifier.count({ where: { value: { in: emails } } })).toBe(20);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('keeps concurrent connections apart when a query spans several TCP reads', {
    timeout: SLOW,
  }, async () => {
    // pglite-socket multiplexes connections onto one PGlite session; a Parse/Bind/Execute batch
    // split across reads must not pick up another connection's statement (electric-sql/pglite#1046).
    // Plain pg shows it reliably (Prisma rarely splits that way), and any client may connect.
    const pool = new pg.Pool({ connectionString: server.url, max: 10 });
    try {
      const large = 'x'.repeat(300_000);
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const { rows } =
            i % 3 === 0
              ? await pool.query('SELECT length($1::text) AS n, $2::int AS i', [large, i])
              : await pool.query('SELECT $1::int AS i', [i]);
          return rows[0]?.i === i && (i % 3 !== 0 || rows[0]?.n === large.length);
        }).map((outcome) => outcome.catch((err: unknown) => String(err))),
      );
      expect(outcomes.filter((outcome) => outcome !== true)).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('keeps its data across a restart on the same folder', { timeout: SLOW }, async () => {
    const prisma = createPrisma(server.url, { max: 2 });
    const email = newEmail();
    await prisma.user.create({
      data: { identifiers: { create: { type: 'email', value: email } } },
    });
    await prisma.$disconnect();
    await server.stop();

    server = await startEmbeddedPostgres({ dataDir });
    expect(await applyMigrations(server.url)).toEqual([]);
    const again = createPrisma(server.url, { max: 2 });
    try {
      expect(await again.identifier.count({ where: { value: email } })).toBe(1);
    } finally {
      await again.$disconnect();
    }
  });
});
