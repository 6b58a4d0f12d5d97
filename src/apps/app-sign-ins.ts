import type { DbClient } from '../db/prisma.js';

/**
 * Counts a sign-in through an app: how many and the last. A third-party app reaches a customer
 * (app API, claims) only once they have signed in through it, and progressive profiling asks by
 * the count. A login@1 session made through the app and an OpenID Connect login both count here.
 */
export async function countAppSignIn(
  db: DbClient,
  input: { userId: string; appId: string; at: Date },
): Promise<void> {
  const { userId, appId, at } = input;
  await db.appSignIn.upsert({
    where: { userId_appId: { userId, appId } },
    create: { userId, appId, signIns: 1, lastAt: at },
    update: { signIns: { increment: 1 }, lastAt: at },
  });
}
