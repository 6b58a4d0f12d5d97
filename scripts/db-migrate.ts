// npm run db:migrate: applies pending migrations from prisma/migrations to $DATABASE_URL.
import { applyMigrations } from '../src/db/migrate.js';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('db:migrate: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)');
  process.exit(2);
}

const started = performance.now();
const applied = await applyMigrations(databaseUrl, { log: (msg) => console.log(msg) });
console.log(
  `db:migrate: ${applied.length} migration(s) applied in ${Math.round(performance.now() - started)} ms`,
);
