import { defineConfig } from 'prisma/config';

// Prisma 7 reads the connection URL from here, not from schema.prisma. process.env rather than
// env() so that `prisma generate` works without DATABASE_URL; migrations run through
// src/db/migrate.ts (WASM engine), which takes the URL as an argument.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL },
});
