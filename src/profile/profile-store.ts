import type { RegisteredApp } from '../apps/app-registry.js';
import { e164Of } from '../channels/phone-number.js';
import type { DbClient, PrismaClient } from '../db/prisma.js';
import type { FieldError } from '../errors/catalogue.js';
import { type ErrorCode, errorSpec } from '../errors/catalogue.js';
import { pointerSegment } from '../errors/json-pointer.js';
import type { SessionRequirement } from '../sessions/session-ref.js';
import type { AttributeSpec, Catalogue, Party } from './attribute-catalogue.js';
import { checkValue } from './attribute-schemas.js';
import { DERIVED_ATTRIBUTES } from './standard-attributes.js';

/**
 * Who reads or writes a profile, and through what: the customer (their session through `/v1/me`,
 * or a journey run answering for them), a registered app by its client credentials, the operator.
 */
export type ProfileActor =
  | { party: 'customer'; via: 'session' | 'journey'; id: string }
  | { party: 'app'; app: RegisteredApp }
  | { party: 'operator' };

/** A write the catalogue or the values refuse, field by field. Nothing of the write is kept. */
export class ProfileRefusal extends Error {
  constructor(
    readonly code: Extract<
      ErrorCode,
      'invalid_input' | 'attribute_not_writable' | 'app_data_too_large'
    >,
    readonly errors: FieldError[] = [],
  ) {
    super(errorSpec(code).message);
    this.name = 'ProfileRefusal';
  }
}

/** The party an actor is for one attribute: an app is its owner or one of the others. */
function partyOf(actor: ProfileActor, spec: AttributeSpec): Party {
  if (actor.party !== 'app') return actor.party;
  return spec.ownerApp === actor.app.id ? 'owning_app' : 'other_apps';
}

/** An app uses an attribute it owns, or one its registration lists; others use what the catalogue says. */
const appMayUse = (actor: ProfileActor, name: string, spec: AttributeSpec) =>
  actor.party !== 'app' || spec.ownerApp === actor.app.id || actor.app.attributes.includes(name);

export const mayRead = (actor: ProfileActor, name: string, spec: AttributeSpec) =>
  spec.readers.includes(partyOf(actor, spec)) && appMayUse(actor, name, spec);

export const mayWrite = (actor: ProfileActor, name: string, spec: AttributeSpec) =>
  !DERIVED_ATTRIBUTES.has(name) &&
  spec.writers.includes(partyOf(actor, spec)) &&
  appMayUse(actor, name, spec);

/** A value larger than this is refused whatever its schema says (the row is read on every profile read). */
export const MAX_VALUE_BYTES = 4096;

/**
 * What a change to a sensitive attribute needs, by every path (`/v1/me`, a journey step): a sign-in
 * this recent (OIDC max_age, as email-change@1 asks by default) at the account's highest level.
 */
export const SENSITIVE_CHANGE_MAX_AGE_SECONDS = 15 * 60;
export const sensitiveChangeRequirement = (accountAal: number): SessionRequirement => ({
  maxAgeSeconds: SENSITIVE_CHANGE_MAX_AGE_SECONDS,
  ...(accountAal > 1 ? { aal: accountAal as 2 | 3 } : {}),
});

/** The attributes of a patch the catalogue calls sensitive (a change needs a recent strong sign-in). */
export const sensitiveOf = (catalogue: Catalogue, names: Iterable<string>): string[] =>
  [...names].filter((name) => catalogue.get(name)?.sensitivity === 'sensitive');

type ValueRow = { attribute: string; value: unknown; verifiedAt: Date | null };

/** Derived flags and the account's address, beside the stored values. */
export async function storedAttributes(
  db: DbClient,
  userId: string,
): Promise<Map<string, unknown>> {
  const [rows, email] = await Promise.all([
    db.profileValue.findMany({
      where: { userId },
      select: { attribute: true, value: true, verifiedAt: true },
    }) as Promise<ValueRow[]>,
    db.identifier.findFirst({
      where: { userId, type: 'email' },
      orderBy: [{ verifiedAt: { sort: 'asc', nulls: 'last' } }, { createdAt: 'asc' }],
      select: { value: true, verifiedAt: true },
    }),
  ]);
  const values = new Map<string, unknown>(rows.map((row) => [row.attribute, row.value]));
  if (email) {
    values.set('email', email.value);
    values.set('email_verified', email.verifiedAt !== null);
  }
  const phone = rows.find((row) => row.attribute === 'phone_number');
  if (phone) values.set('phone_number_verified', phone.verifiedAt !== null);
  return values;
}

/**
 * A customer's profile as `actor` may see it: `sub` and every attribute it may read that has a
 * value. One read of the rows every path shares, so a change through one is seen by all at once.
 */
export async function readProfile(
  db: DbClient,
  catalogue: Catalogue,
  userId: string,
  actor: ProfileActor,
): Promise<Record<string, unknown>> {
  const values = await storedAttributes(db, userId);
  const profile: Record<string, unknown> = { sub: userId };
  for (const [name, spec] of catalogue)
    if (values.has(name) && mayRead(actor, name, spec)) profile[name] = values.get(name);
  return profile;
}

/** The names of the attributes a profile has a value for (progressive profiling asks the others). */
export async function presentAttributes(db: DbClient, userId: string): Promise<Set<string>> {
  return new Set((await storedAttributes(db, userId)).keys());
}

/** Canonical forms: a phone number in E.164 whatever its spelling. */
function canonical(name: string, value: unknown): unknown {
  if (name === 'phone_number' && typeof value === 'string') return e164Of(value) ?? value;
  return value;
}

/**
 * Checks a patch (RFC 7396: a member set to null removes the attribute) against the catalogue: an
 * attribute the catalogue does not know, or the actor may not write, or a value its schema refuses,
 * each with its JSON pointer. Refusals of permission come first (403), then of values (422).
 */
export function checkPatch(
  catalogue: Catalogue,
  actor: ProfileActor,
  patch: Record<string, unknown>,
  base = '',
): { values: Map<string, unknown> } {
  const forbidden: FieldError[] = [];
  const invalid: FieldError[] = [];
  const values = new Map<string, unknown>();
  for (const [name, raw] of Object.entries(patch)) {
    const path = `${base}/${pointerSegment(name)}`;
    const spec = catalogue.get(name);
    if (!spec) {
      invalid.push({ path, code: 'unknown_field', message: `No attribute '${name}'` });
      continue;
    }
    if (!mayWrite(actor, name, spec)) {
      forbidden.push({
        path,
        code: 'attribute_not_writable',
        message: errorSpec('attribute_not_writable').message,
      });
      continue;
    }
    const value = canonical(name, raw);
    if (value !== null) {
      if (Buffer.byteLength(JSON.stringify(value)) > MAX_VALUE_BYTES) {
        invalid.push({ path, code: 'too_big', message: `At most ${MAX_VALUE_BYTES} bytes` });
        continue;
      }
      const errors = checkValue(path, spec.schema, value);
      if (errors.length) {
        invalid.push(...errors);
        continue;
      }
    }
    values.set(name, value);
  }
  if (forbidden.length) throw new ProfileRefusal('attribute_not_writable', forbidden);
  if (invalid.length) throw new ProfileRefusal('invalid_input', invalid);
  return { values };
}

const sourceOf = (actor: ProfileActor) =>
  actor.party === 'app'
    ? `app:${actor.app.id}`
    : actor.party === 'customer'
      ? actor.via === 'journey'
        ? `journey:${actor.id}`
        : 'customer'
      : 'operator';

const changeActor = (actor: ProfileActor) =>
  actor.party === 'app'
    ? { actor: 'app', actorId: actor.app.id }
    : actor.party === 'customer'
      ? { actor: actor.via === 'journey' ? 'journey' : 'customer', actorId: actor.id }
      : { actor: 'operator', actorId: null };

/**
 * Applies a checked patch in one transaction with its audit row (who, through what, which
 * attributes; never a value). Returns the attributes whose value changed; setting a value it
 * already has changes nothing and records nothing. A new phone number is unverified.
 */
export async function writeProfile(
  prisma: PrismaClient,
  userId: string,
  actor: ProfileActor,
  values: ReadonlyMap<string, unknown>,
  now: Date = new Date(),
): Promise<string[]> {
  return prisma.$transaction(async (tx) => {
    const existing = new Map(
      (
        await tx.profileValue.findMany({
          where: { userId, attribute: { in: [...values.keys()] } },
          select: { attribute: true, value: true },
        })
      ).map((row) => [row.attribute, JSON.stringify(row.value)]),
    );
    const changed: string[] = [];
    for (const [attribute, value] of values) {
      const before = existing.get(attribute);
      if (value === null) {
        if (before === undefined) continue;
        await tx.profileValue.delete({ where: { userId_attribute: { userId, attribute } } });
      } else {
        if (before === JSON.stringify(value)) continue;
        const data = {
          value: value as object,
          source: sourceOf(actor),
          verifiedAt: null,
          updatedAt: now,
        };
        await tx.profileValue.upsert({
          where: { userId_attribute: { userId, attribute } },
          create: { userId, attribute, ...data },
          update: data,
        });
      }
      changed.push(attribute);
    }
    if (changed.length)
      await tx.profileChange.create({
        data: { userId, ...changeActor(actor), attributes: changed, at: now },
      });
    return changed;
  });
}

/** A customer id as a path gives it: a UUID's shape, checked before any query. */
const looksLikeUserId = (id: string) => /^[0-9a-f-]{36}$/i.test(id);

/** Whether the operator may address this customer: any account there is. */
export async function userExists(db: DbClient, userId: string) {
  return looksLikeUserId(userId) && (await db.user.count({ where: { id: userId } })) === 1;
}

/** Whether an app may address this customer: first-party apps every one, others only those who signed in through them. */
export async function appReaches(db: DbClient, app: RegisteredApp, userId: string) {
  if (!looksLikeUserId(userId)) return false;
  const reached = await db.user.count({
    where: {
      id: userId,
      status: 'active',
      ...(app.kind === 'first_party' ? {} : { appSignIns: { some: { appId: app.id } } }),
    },
  });
  return reached === 1;
}

/** An app's own document about a customer ({} when it has none). */
export async function readAppData(db: DbClient, userId: string, appId: string) {
  const row = await db.appData.findUnique({ where: { userId_appId: { userId, appId } } });
  return (row?.data ?? {}) as Record<string, unknown>;
}

/** Replaces an app's document about a customer, within its size limit, with its audit row. */
export async function writeAppData(
  prisma: PrismaClient,
  userId: string,
  app: RegisteredApp,
  data: Record<string, unknown>,
  now: Date = new Date(),
) {
  const bytes = Buffer.byteLength(JSON.stringify(data));
  if (bytes > app.dataLimitBytes)
    throw new ProfileRefusal('app_data_too_large', [
      {
        path: '',
        code: 'app_data_too_large',
        message: `At most ${app.dataLimitBytes} bytes (this is ${bytes})`,
        limit: app.dataLimitBytes,
      },
    ]);
  await prisma.$transaction([
    prisma.appData.upsert({
      where: { userId_appId: { userId, appId: app.id } },
      create: { userId, appId: app.id, data: data as object, updatedAt: now },
      update: { data: data as object, updatedAt: now },
    }),
    prisma.profileChange.create({
      data: { userId, actor: 'app', actorId: app.id, attributes: [`app_data:${app.id}`], at: now },
    }),
  ]);
}
