import type { DbClient } from '../db/prisma.js';

/**
 * Where a customer stands on a purpose now, from the latest record:
 * - `granted`: a grant in force;
 * - `denied`, `withdrawn`: refused, or granted then withdrawn;
 * - `expired`: a grant past the purpose's validity;
 * - `renewal_due`: a grant made under a policy version that a later material version (now in
 *   effect) superseded. It no longer covers anything: the customer is asked again.
 */
export type ConsentState = 'granted' | 'denied' | 'withdrawn' | 'expired' | 'renewal_due';

export interface ConsentRecordRow {
  id: string;
  userId: string;
  purpose: string;
  purposeName: string | null;
  attributes: string[];
  apps: string[];
  policy: string | null;
  policyVersion: string;
  policyLocale: string | null;
  policyHash: string | null;
  action: string;
  at: Date;
  expiresAt: Date | null;
  method: string;
  step: string | null;
  channel: string | null;
  source: string | null;
}

export interface PolicyVersionDates {
  policy: string;
  version: string;
  material: boolean;
  effectiveAt: Date;
}

export interface PurposeStanding {
  state: ConsentState;
  record: ConsentRecordRow;
}

/** The latest record of each purpose the customer decided on (one query). */
export async function latestRecords(
  db: DbClient,
  userId: string,
): Promise<Map<string, ConsentRecordRow>> {
  const rows = await db.consentRecord.findMany({
    where: { userId },
    orderBy: [{ purpose: 'asc' }, { at: 'desc' }, { id: 'asc' }],
    distinct: ['purpose'],
  });
  return new Map(rows.map((row) => [row.purpose, row]));
}

/** Every published version's dates, for the policies named (a small table: read whole). */
export async function policyDates(
  db: DbClient,
  policies: Iterable<string>,
): Promise<PolicyVersionDates[]> {
  return db.policyVersion.findMany({
    where: { policy: { in: [...new Set(policies)] } },
    select: { policy: true, version: true, material: true, effectiveAt: true },
  });
}

/** Whether a material version of the record's policy came into effect after the one it names. */
export function supersededMaterially(
  record: Pick<ConsentRecordRow, 'policy' | 'policyVersion'>,
  versions: PolicyVersionDates[],
  now: Date,
): boolean {
  if (!record.policy) return false;
  const ofPolicy = versions.filter((version) => version.policy === record.policy);
  const recorded = ofPolicy.find((version) => version.version === record.policyVersion);
  if (!recorded) return false;
  return ofPolicy.some(
    (version) =>
      version.material &&
      version.effectiveAt > recorded.effectiveAt &&
      version.effectiveAt.getTime() <= now.getTime(),
  );
}

/** A record's state now (see `ConsentState`). */
export function stateOf(
  record: ConsentRecordRow,
  versions: PolicyVersionDates[],
  now: Date,
): ConsentState {
  if (record.action === 'denied') return 'denied';
  if (record.action !== 'granted') return 'withdrawn';
  if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (supersededMaterially(record, versions, now)) return 'renewal_due';
  return 'granted';
}

/** Where the customer stands on each purpose decided, now. */
export async function standings(
  db: DbClient,
  userId: string,
  now: Date,
): Promise<Map<string, PurposeStanding>> {
  const records = await latestRecords(db, userId);
  const versions = await policyDates(
    db,
    [...records.values()].flatMap((record) => (record.policy ? [record.policy] : [])),
  );
  return new Map(
    [...records].map(([purpose, record]) => [
      purpose,
      { state: stateOf(record, versions, now), record },
    ]),
  );
}
