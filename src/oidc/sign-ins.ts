import { countAppSignIn } from '../apps/app-sign-ins.js';
import type { PrismaClient } from '../db/prisma.js';

/**
 * A sign-in through an OpenID Connect client, counted as a sign-in through that app: a
 * third-party app reaches a customer (app API, claims) only once they have signed in through it.
 * A session made for another app (or none) counts here when it finishes this client's login; one
 * made through this very app was counted when it was made.
 */
export async function recordClientSignIn(
  prisma: PrismaClient,
  session: { id: string; userId: string },
  appId: string,
  at: Date,
): Promise<void> {
  const made = await prisma.session.findUnique({
    where: { id: session.id },
    select: { clientId: true },
  });
  if (made?.clientId === appId) return;
  await countAppSignIn(prisma, { userId: session.userId, appId, at });
}
