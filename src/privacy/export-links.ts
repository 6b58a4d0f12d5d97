import type { DbClient, PrismaClient } from '../db/prisma.js';
import { randomToken, sha256Hex } from '../security/tokens.js';

/** How long a download link works: long enough to follow it, too short to be worth stealing. */
export const EXPORT_LINK_TTL_MS = 10 * 60_000;
/** Exports a customer may ask for in a day: each reads everything held about them. */
export const EXPORTS_PER_DAY = 3;
const DAY_MS = 24 * 60 * 60_000;

export type ExportLink =
  | { outcome: 'created'; token: string; expiresAt: Date }
  | { outcome: 'limited'; retryAt: Date };

/**
 * A download link for the customer's export: a 256-bit CSPRNG token shown once and kept as its
 * SHA-256, working for ten minutes. At most three a day per customer (the oldest of the day's
 * three says when the next may be asked for).
 */
export async function createExportLink(
  prisma: PrismaClient,
  input: { userId: string; now: Date },
): Promise<ExportLink> {
  // Counted and written under the customer's row lock: requests racing cannot pass the limit.
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT 1 FROM users WHERE id = ${input.userId} FOR UPDATE`;
    const today = await tx.dataExport.findMany({
      where: { userId: input.userId, createdAt: { gt: new Date(input.now.getTime() - DAY_MS) } },
      orderBy: { createdAt: 'asc' },
      select: { createdAt: true },
    });
    if (today.length >= EXPORTS_PER_DAY)
      return {
        outcome: 'limited' as const,
        retryAt: new Date((today[0] as { createdAt: Date }).createdAt.getTime() + DAY_MS),
      };
    const token = randomToken(32);
    const expiresAt = new Date(input.now.getTime() + EXPORT_LINK_TTL_MS);
    await tx.dataExport.create({
      data: { userId: input.userId, tokenHash: sha256Hex(token), createdAt: input.now, expiresAt },
    });
    return { outcome: 'created' as const, token, expiresAt };
  });
}

/** The customer a link exports, while it works (each download counted); none otherwise. */
export async function followExportLink(
  db: DbClient,
  input: { token: string; now: Date },
): Promise<{ userId: string } | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(input.token)) return undefined;
  const tokenHash = sha256Hex(input.token);
  const { count } = await db.dataExport.updateMany({
    where: { tokenHash, expiresAt: { gt: input.now } },
    data: { downloads: { increment: 1 } },
  });
  if (count === 0) return undefined;
  const row = await db.dataExport.findUnique({
    where: { tokenHash },
    select: { userId: true },
  });
  return row ? { userId: row.userId } : undefined;
}
