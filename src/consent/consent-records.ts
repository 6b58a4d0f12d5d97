import type { DbClient, PrismaClient } from '../db/prisma.js';
import type { CheckedDecision } from './consent-request.js';
import type { ConsentRecordRow } from './consent-state.js';
import { latestRecords } from './consent-state.js';

/** How a decision was collected (ISO/IEC TS 27560's collection method). */
export interface Collection {
  /** `journey`: a run's step; `self_service`: `/v1/me/consents`. */
  method: 'journey' | 'self_service';
  /** The run that collected it. */
  source?: string;
  step?: string;
  /** `api`: through the step API or `/v1/me`. */
  channel: 'api';
}

const DAY_MS = 24 * 60 * 60_000;

/**
 * Records decisions, one new record each (the table refuses updates). A retried call of the same
 * run records nothing twice; an unchanged decision (same outcome, same policy version, still in
 * force) is not recorded again.
 */
export async function recordDecisions(
  db: DbClient,
  input: { userId: string; decisions: CheckedDecision[]; collection: Collection; now: Date },
): Promise<ConsentRecordRow[]> {
  const latest = await latestRecords(db, input.userId);
  const recorded: ConsentRecordRow[] = [];
  for (const decision of input.decisions) {
    const action = decision.granted ? 'granted' : 'denied';
    const previous = latest.get(decision.purpose);
    const unchanged =
      previous?.action === action &&
      previous.policyVersion === decision.policy.version &&
      previous.policy === decision.policy.policy &&
      (!previous.expiresAt || previous.expiresAt > input.now);
    if (unchanged) continue;
    recorded.push(
      await db.consentRecord.create({
        data: {
          userId: input.userId,
          purpose: decision.purpose,
          purposeName: decision.purposeName,
          attributes: decision.attributes,
          apps: decision.apps,
          policy: decision.policy.policy,
          policyVersion: decision.policy.version,
          policyLocale: decision.policy.locale,
          policyHash: decision.policy.content_hash,
          action,
          at: input.now,
          expiresAt:
            decision.granted && decision.validityDays
              ? new Date(input.now.getTime() + decision.validityDays * DAY_MS)
              : null,
          method: input.collection.method,
          step: input.collection.step ?? null,
          channel: input.collection.channel,
          source: input.collection.source ?? null,
        },
      }),
    );
  }
  return recorded;
}

export type Withdrawal =
  | { outcome: 'withdrawn'; record: ConsentRecordRow; revokedSessions: number }
  | { outcome: 'not_granted' }
  | { outcome: 'required' }
  | { outcome: 'unknown' };

/**
 * Withdraws a purpose: a new `withdrawn` record under the policy of the grant it ends. It takes
 * effect on the next read of any app (read-time enforcement, release.ts), and the sessions the
 * purpose's third-party apps hold for the customer end at once. A required purpose is withdrawn
 * only by erasing the account.
 */
export async function withdraw(
  prisma: PrismaClient,
  input: { userId: string; purpose: string; now: Date },
): Promise<Withdrawal> {
  return prisma.$transaction(async (tx) => {
    const purpose = await tx.purpose.findUnique({ where: { id: input.purpose } });
    const previous = (await latestRecords(tx, input.userId)).get(input.purpose);
    if (!purpose && !previous) return { outcome: 'unknown' };
    if (purpose?.required) return { outcome: 'required' };
    if (previous?.action !== 'granted') return { outcome: 'not_granted' };
    const record = await tx.consentRecord.create({
      data: {
        userId: input.userId,
        purpose: previous.purpose,
        purposeName: purpose?.name ?? previous.purposeName,
        attributes: previous.attributes,
        apps: previous.apps,
        policy: previous.policy,
        policyVersion: previous.policyVersion,
        policyLocale: previous.policyLocale,
        policyHash: previous.policyHash,
        action: 'withdrawn',
        at: input.now,
        method: 'self_service',
        channel: 'api',
      },
    });
    const apps = [...new Set([...previous.apps, ...(purpose?.apps ?? [])])];
    const thirdParty = (
      await tx.app.findMany({
        where: { id: { in: apps }, kind: 'third_party' },
        select: { id: true },
      })
    ).map((app) => app.id);
    const { count } = await tx.session.updateMany({
      where: { userId: input.userId, clientId: { in: thirdParty }, revokedAt: null },
      data: { revokedAt: input.now },
    });
    // The OpenID Connect provider's refresh tokens for the purpose's apps go too: what they would
    // fetch again is what the customer took back (access tokens live ten minutes, and userinfo
    // releases by the consents in force at each call).
    await tx.oidcModel.deleteMany({
      where: { accountId: input.userId, clientId: { in: apps }, kind: 'RefreshToken' },
    });
    return { outcome: 'withdrawn', record, revokedSessions: count };
  });
}

/**
 * A record as its receipt: the fields of ISO/IEC TS 27560 (record and receipt) that a customer
 * can read, by their meaning there.
 */
export const receiptOf = (record: ConsentRecordRow) => ({
  receipt_id: record.id,
  standard: 'ISO/IEC TS 27560:2023',
  data_subject: record.userId,
  purpose: {
    id: record.purpose,
    ...(record.purposeName ? { name: record.purposeName } : {}),
    personal_data: record.attributes,
    recipients: record.apps,
  },
  notice: {
    ...(record.policy ? { policy: record.policy } : {}),
    version: record.policyVersion,
    ...(record.policyLocale ? { locale: record.policyLocale } : {}),
    ...(record.policyHash ? { content_hash: record.policyHash } : {}),
  },
  decision: record.action === 'revoked' ? 'withdrawn' : record.action,
  recorded_at: record.at.toISOString(),
  ...(record.expiresAt ? { expires_at: record.expiresAt.toISOString() } : {}),
  collection: {
    method: record.method,
    ...(record.source ? { journey_run: record.source } : {}),
    ...(record.step ? { step: record.step } : {}),
    ...(record.channel ? { channel: record.channel } : {}),
  },
});
