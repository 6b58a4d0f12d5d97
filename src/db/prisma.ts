import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';

// Other modules import Prisma types from here only, never from the generated folder.
export type { Prisma, PrismaClient } from '../generated/prisma/client.js';

/** A client or the transaction client handed to `$transaction(async (tx) => …)`. */
export type DbClient = PrismaClient | Prisma.TransactionClient;

/**
 * A Prisma client on `@prisma/adapter-pg` (no native engine). `max` is the connection pool size
 * (default 10). Call `$disconnect()` to close the pool.
 */
export function createPrisma(databaseUrl: string, opts: { max?: number } = {}): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl, max: opts.max ?? 10 }),
  });
}

/** True when `err` is Prisma's "record to update or delete not found" (P2025). */
export function isNotFound(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025';
}

/** True when `err` is Prisma's unique-constraint violation (P2002), e.g. a retried insert. */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
