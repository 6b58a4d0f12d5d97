import { receiptOf } from '../consent/consent-records.js';
import type { DbClient } from '../db/prisma.js';
import { storedAttributes } from '../profile/profile-store.js';
import { describeSession } from '../sessions/session-store.js';

/** Factor metadata as `/v1/me/factors` lists it: never a secret. */
export type FactorMetadata = Record<string, unknown>;

/** The version of the export's shape: a field is only ever added. */
export const EXPORT_FORMAT = 'parcours-export/1';

/**
 * Everything Parcours holds about a customer (GDPR Art. 15, right of access, and Art. 20, in a
 * structured, machine-readable form): the account, its identifiers and profile, each app's data,
 * consents with their policy versions, sessions with their devices, factor metadata (never a
 * secret, hash, key or code), sign-ins per app, subscriptions, profile changes, and the events of
 * the journey runs that acted for the customer, and the accounts at upstream providers linked to
 * theirs (social login: the provider, its issuer and subject).
 */
export async function customerExport(
  db: DbClient,
  input: { userId: string; factors: FactorMetadata[]; now: Date },
) {
  const { userId } = input;
  const user = await db.user.findUniqueOrThrow({ where: { id: userId } });
  const [identifiers, profile, appData, consents, sessions, signIns, changes, linked] =
    await Promise.all([
      db.identifier.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } }),
      storedAttributes(db, userId),
      db.appData.findMany({ where: { userId }, orderBy: { appId: 'asc' } }),
      db.consentRecord.findMany({ where: { userId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] }),
      db.session.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } }),
      db.appSignIn.findMany({ where: { userId }, orderBy: { appId: 'asc' } }),
      db.profileChange.findMany({ where: { userId }, orderBy: { at: 'asc' } }),
      db.linkedIdentity.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } }),
    ]);
  const emails = identifiers.filter((row) => row.type === 'email').map((row) => row.value);
  const subscriptions = await db.subscription.findMany({ where: { address: { in: emails } } });
  const runs = customerRuns({
    user,
    sessions,
    consents,
    changes,
  });
  const events = await db.journeyEvent.findMany({
    where: { journeyId: { in: [...runs] } },
    orderBy: [{ journeyId: 'asc' }, { seq: 'asc' }],
  });
  return {
    format: EXPORT_FORMAT,
    exported_at: input.now.toISOString(),
    account: { id: user.id, status: user.status, created_at: user.createdAt.toISOString() },
    identifiers: identifiers.map((row) => ({
      type: row.type,
      value: row.value,
      verified: row.verifiedAt !== null,
      created_at: row.createdAt.toISOString(),
    })),
    linked_identities: linked.map((row) => ({
      provider: row.provider,
      issuer: row.issuer,
      subject: row.subject,
      linked_at: row.createdAt.toISOString(),
    })),
    profile: Object.fromEntries(profile),
    app_data: Object.fromEntries(appData.map((row) => [row.appId, row.data])),
    consents: consents.map(receiptOf),
    subscriptions: subscriptions.map((row) => ({
      list: row.list,
      address: row.address,
      policy_version: row.policyVersion,
      confirmed_at: row.confirmedAt.toISOString(),
    })),
    sessions: sessions.map((row) => ({
      id: row.id,
      ...describeSession(row),
      ...(row.revokedAt ? { revoked_at: row.revokedAt.toISOString() } : {}),
    })),
    factors: input.factors,
    sign_ins: signIns.map((row) => ({
      app: row.appId,
      sign_ins: row.signIns,
      last_at: row.lastAt.toISOString(),
    })),
    profile_changes: changes.map((row) => ({
      at: row.at.toISOString(),
      by: row.actor,
      attributes: row.attributes,
    })),
    journey_events: events.map((row) => ({
      run: row.journeyId,
      journey: `${row.journey}@${row.version}`,
      type: row.type,
      ...(row.step ? { step: row.step } : {}),
      at: row.at.toISOString(),
    })),
  };
}

/**
 * The journey runs that acted for the customer, as the rows they left name them: the run that
 * created the account, each that opened a session, recorded a consent or changed the profile.
 */
export function customerRuns(rows: {
  user: { createdByJourney: string | null };
  sessions: Array<{ createdByJourney: string | null }>;
  consents: Array<{ source: string | null }>;
  changes: Array<{ actor: string; actorId: string | null }>;
}): Set<string> {
  return new Set(
    [
      rows.user.createdByJourney,
      ...rows.sessions.map((row) => row.createdByJourney),
      ...rows.consents.map((row) => row.source),
      ...rows.changes.filter((row) => row.actor === 'journey').map((row) => row.actorId),
    ].filter((run): run is string => typeof run === 'string'),
  );
}
