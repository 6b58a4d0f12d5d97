import { randomUUID } from 'node:crypto';
import type { Prisma } from '../db/prisma.js';
import type { Keyring } from '../security/keyring.js';
import { destroyRunKeys } from '../security/run-keys.js';
import { customerRuns } from './data-export.js';
import { runsNaming } from './run-subjects.js';

/** Grace periods an operator may set (erasure@1's `graceDays`): 30 by default. */
export const DEFAULT_GRACE_DAYS = 30;

/**
 * Erases a customer everywhere the database holds them (GDPR Art. 17), in the caller's transaction:
 * - deleted: the account and all that hangs on it (identifiers, credentials, sessions, consents,
 *   profile, app data, sign-ins, exports, factor resets), its profile changes, subscriptions, codes
 *   and messages sent to its addresses or by its runs, its runs' pending arguments and passkey
 *   challenges, and its throttling counters;
 *   and the blind index of the runs handed its addresses (run-subjects.ts);
 * - anonymised: its runs' journey events and profiling questions move to a fresh random run id, so
 *   funnels keep their counts and nothing joins them to the customer any more.
 * - shredded: the keys of its runs' Temporal payloads (run-keys.ts), but those of `keep`.
 * Answers the runs it unlinked.
 */
export async function eraseCustomer(
  tx: Prisma.TransactionClient,
  userId: string,
  options: { keep: string[]; keyring: Keyring },
): Promise<{ runs: string[] }> {
  const user = await tx.user.findUnique({
    where: { id: userId },
    include: {
      identifiers: true,
      sessions: { select: { createdByJourney: true } },
      consents: { select: { source: true } },
    },
  });
  if (!user) return { runs: [] };
  const changes = await tx.profileChange.findMany({
    where: { userId },
    select: { actor: true, actorId: true },
  });
  const phone = await tx.profileValue.findUnique({
    where: { userId_attribute: { userId, attribute: 'phone_number' } },
  });
  const addresses = [
    ...user.identifiers.map((identifier) => identifier.value),
    ...(typeof phone?.value === 'string' ? [phone.value] : []),
  ];
  const challengeRuns = await tx.otpChallenge.findMany({
    where: { recipient: { in: addresses } },
    select: { journeyId: true },
  });
  const resets = await tx.factorReset.findMany({ where: { userId }, select: { journeyId: true } });
  const erasures = await tx.erasure.findMany({ where: { userId }, select: { journeyId: true } });
  // Runs handed one of its addresses with nothing else to link them (a wrong password).
  const named = await runsNaming(tx, options.keyring, addresses);
  const runs = [
    ...new Set([
      ...customerRuns({
        user,
        sessions: user.sessions,
        consents: user.consents,
        changes,
      }),
      ...challengeRuns.map((row) => row.journeyId),
      ...resets.map((row) => row.journeyId),
      ...erasures.map((row) => row.journeyId),
      ...named.runs,
    ]),
  ];

  // Funnels keep their counts: each run's events move to an id that names no one.
  for (const run of runs) {
    const anonymous = `erased-${randomUUID()}`;
    await tx.journeyEvent.updateMany({ where: { journeyId: run }, data: { journeyId: anonymous } });
    await tx.profilingQuestion.updateMany({
      where: { journeyId: run },
      data: { journeyId: anonymous },
    });
  }
  await tx.outboundMessage.deleteMany({
    where: { OR: [{ recipient: { in: addresses } }, { journeyId: { in: runs } }] },
  });
  await tx.otpChallenge.deleteMany({
    where: { OR: [{ recipient: { in: addresses } }, { journeyId: { in: runs } }] },
  });
  await tx.subscription.deleteMany({ where: { address: { in: addresses } } });
  await tx.profileChange.deleteMany({ where: { userId } });
  await tx.pendingRun.deleteMany({ where: { id: { in: runs } } });
  await tx.webauthnChallenge.deleteMany({ where: { journeyId: { in: runs } } });
  await tx.authThrottle.deleteMany({ where: { key: { contains: userId } } });
  await tx.runSubject.deleteMany({ where: { subject: { in: named.subjects } } });
  // The OpenID Connect provider's grants, sessions and tokens of theirs.
  await tx.oidcModel.deleteMany({ where: { accountId: userId } });
  await tx.user.delete({ where: { id: userId } });
  // Crypto-shredding: what their runs' Temporal histories hold can no longer be read anywhere.
  // The erasure's own run keeps its key: it is still running, and holds nothing but ids.
  await destroyRunKeys(
    tx,
    runs.filter((run) => !options.keep.includes(run)),
  );
  return { runs };
}

/**
 * Completes an erasure that is due, in the caller's transaction (locking its row): erases the
 * customer unless a sign-in cancelled it or a legal hold stands. Answers what it found, and the
 * runs whose keys it destroyed.
 */
export async function completeDueErasure(
  tx: Prisma.TransactionClient,
  erasureId: string,
  options: { now: Date; keep: string[]; keyring: Keyring },
): Promise<{ status: 'completed' | 'cancelled' | 'held' | 'not_due'; runs?: string[] }> {
  await tx.$executeRaw`SELECT 1 FROM erasures WHERE id = ${erasureId} FOR UPDATE`;
  const erasure = await tx.erasure.findUniqueOrThrow({ where: { id: erasureId } });
  if (erasure.cancelledAt) return { status: 'cancelled' };
  if (erasure.completedAt) return { status: 'completed' };
  if (erasure.dueAt > options.now) return { status: 'not_due' };
  const user = await tx.user.findUnique({ where: { id: erasure.userId } });
  if (user?.legalHoldAt) return { status: 'held' };
  const { runs } = await eraseCustomer(tx, erasure.userId, options);
  await tx.erasure.update({ where: { id: erasure.id }, data: { completedAt: options.now } });
  return { status: 'completed', runs };
}
