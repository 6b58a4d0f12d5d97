import type { DbClient } from '../db/prisma.js';
import { standings } from './consent-state.js';

/** What a purpose covers: attributes, for apps. */
export interface PurposeCover {
  id: string;
  attributes: string[];
  apps: string[];
}

/**
 * The consent rule, pure: an attribute that some purpose naming this app covers is released to
 * the app only while the customer grants one such purpose; an attribute no such purpose covers is
 * not a matter of consent for this app (the catalogue alone decides). `sub` is always released.
 */
export function consentRelease(input: {
  attributes: Iterable<string>;
  appId: string;
  purposes: PurposeCover[];
  granted: ReadonlySet<string>;
}): { released: string[]; withheld: string[] } {
  const forApp = input.purposes.filter((purpose) => purpose.apps.includes(input.appId));
  const released: string[] = [];
  const withheld: string[] = [];
  for (const attribute of input.attributes) {
    const governing = forApp.filter((purpose) => purpose.attributes.includes(attribute));
    const open =
      attribute === 'sub' ||
      governing.length === 0 ||
      governing.some((purpose) => input.granted.has(purpose.id));
    (open ? released : withheld).push(attribute);
  }
  return { released, withheld };
}

/**
 * Every read of profile data by an app passes here (the app API now; ID token and userinfo
 * claims, webhook payloads when they come): the profile as the catalogue lets the app see it,
 * filtered by the customer's consents now. A withdrawal is seen by the app's next read. Each
 * withheld attribute is counted per app and day: never its value, never the customer.
 */
export async function releaseToApp(
  db: DbClient,
  input: { userId: string; appId: string; profile: Record<string, unknown>; now: Date },
): Promise<Record<string, unknown>> {
  const purposes = await db.purpose.findMany({
    where: { apps: { has: input.appId } },
    select: { id: true, attributes: true, apps: true },
  });
  if (purposes.length === 0) return input.profile;
  const granted = new Set(
    [...(await standings(db, input.userId, input.now))]
      .filter(([, standing]) => standing.state === 'granted')
      .map(([purpose]) => purpose),
  );
  const { released, withheld } = consentRelease({
    attributes: Object.keys(input.profile),
    appId: input.appId,
    purposes,
    granted,
  });
  if (withheld.length) await countWithheld(db, input.appId, withheld, input.now);
  return Object.fromEntries(released.map((name) => [name, input.profile[name]]));
}

async function countWithheld(db: DbClient, appId: string, attributes: string[], now: Date) {
  const day = now.toISOString().slice(0, 10);
  await db.$executeRaw`
    INSERT INTO consent_withholdings (app_id, attribute, day, count)
    SELECT ${appId}, attribute, ${day}::date, 1 FROM unnest(${attributes}::text[]) AS attribute
    ON CONFLICT (app_id, attribute, day)
      DO UPDATE SET count = consent_withholdings.count + 1`;
}

/** The withheld reads counted, per app, attribute and day (for operators). */
export async function withheldCounts(db: DbClient, input: { appId?: string; since?: Date }) {
  const rows = await db.consentWithholding.findMany({
    where: {
      ...(input.appId ? { appId: input.appId } : {}),
      ...(input.since ? { day: { gte: input.since } } : {}),
    },
    orderBy: [{ day: 'asc' }, { appId: 'asc' }, { attribute: 'asc' }],
  });
  return rows.map((row) => ({
    app: row.appId,
    attribute: row.attribute,
    day: row.day.toISOString().slice(0, 10),
    count: row.count,
  }));
}
