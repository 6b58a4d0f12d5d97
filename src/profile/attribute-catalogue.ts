import { z } from 'zod';
import type { DbClient } from '../db/prisma.js';
import { schemaProblem } from './attribute-schemas.js';
import { type AttributeSpec, PARTIES, type Party } from './attribute-spec.js';
import { STANDARD_ATTRIBUTES } from './standard-attributes.js';

export { type AttributeSpec, PARTIES, type Party } from './attribute-spec.js';

export type Catalogue = ReadonlyMap<string, AttributeSpec>;

/** A custom attribute's name: snake case, never a standard attribute's. */
export const attributeName = () =>
  z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, 'Lower-case letters, digits and _, starting with a letter');

/** A custom attribute as an operator declares it (CLI and admin API). */
export const attributeDefinitionInput = z
  .strictObject({
    name: attributeName(),
    schema: z.record(z.string(), z.unknown()),
    owner_app: z.string().min(1).max(64).optional(),
    sensitivity: z.enum(['normal', 'sensitive']).default('normal'),
    readers: z.array(z.enum(PARTIES)).min(1),
    writers: z.array(z.enum(PARTIES)).default(['operator']),
    grants_access: z.boolean().default(false),
    description: z.string().max(500).optional(),
  })
  .superRefine((definition, context) => {
    if (Object.hasOwn(STANDARD_ATTRIBUTES, definition.name))
      context.addIssue({
        code: 'custom',
        path: ['name'],
        message: 'A standard attribute has this name',
        params: { code: 'attribute_exists' },
      });
    // Keycloak CVE-2026-3911, Cognito's `custom:role`: what the customer may write must never be
    // what an app trusts for access.
    if (definition.grants_access && definition.writers.includes('customer'))
      context.addIssue({
        code: 'custom',
        path: ['writers'],
        message: 'An attribute that grants access cannot be written by the customer',
        params: { code: 'invalid_value' },
      });
    for (const field of ['readers', 'writers'] as const)
      if (definition[field].includes('owning_app') && !definition.owner_app)
        context.addIssue({
          code: 'custom',
          path: [field],
          message: '`owning_app` needs an `owner_app`',
          params: { code: 'invalid_value' },
        });
    const problem = schemaProblem(definition.schema);
    if (problem)
      context.addIssue({
        code: 'custom',
        path: ['schema'],
        message: `Not a usable JSON Schema: ${problem}`,
        params: { code: 'invalid_value' },
      });
  });
export type AttributeDefinitionInput = z.infer<typeof attributeDefinitionInput>;

type DefinitionRow = {
  name: string;
  schema: unknown;
  ownerApp: string | null;
  sensitivity: string;
  readers: string[];
  writers: string[];
  grantsAccess: boolean;
  description: string | null;
};

const specOf = (row: DefinitionRow): AttributeSpec => ({
  schema: row.schema as object,
  readers: row.readers as Party[],
  writers: row.writers as Party[],
  sensitivity: row.sensitivity === 'sensitive' ? 'sensitive' : 'normal',
  grantsAccess: row.grantsAccess,
  ...(row.ownerApp ? { ownerApp: row.ownerApp } : {}),
  ...(row.description ? { description: row.description } : {}),
});

/**
 * The catalogue as it stands now: the standard attributes and every declared one. Read on each use
 * (one small query), so a declaration made through any API process holds in all of them at once.
 */
export async function loadCatalogue(db: DbClient): Promise<Catalogue> {
  const rows = await db.attributeDefinition.findMany({ orderBy: { name: 'asc' } });
  return new Map([
    ...Object.entries(STANDARD_ATTRIBUTES),
    ...rows.map((row) => [row.name, specOf(row)] as const),
  ]);
}

/** An attribute as the admin API and the CLI show it. */
export const describeAttribute = (name: string, spec: AttributeSpec) => ({
  name,
  standard: Object.hasOwn(STANDARD_ATTRIBUTES, name),
  schema: spec.schema,
  ...(spec.ownerApp ? { owner_app: spec.ownerApp } : {}),
  sensitivity: spec.sensitivity,
  readers: spec.readers,
  writers: spec.writers,
  grants_access: spec.grantsAccess,
  ...(spec.description ? { description: spec.description } : {}),
});

/** Declares (or redeclares) a custom attribute. Values already stored are not re-checked. */
export async function defineAttribute(db: DbClient, input: AttributeDefinitionInput) {
  const data = {
    schema: input.schema as object,
    ownerApp: input.owner_app ?? null,
    sensitivity: input.sensitivity,
    readers: input.readers,
    writers: input.writers,
    grantsAccess: input.grants_access,
    description: input.description ?? null,
  };
  const row = await db.attributeDefinition.upsert({
    where: { name: input.name },
    create: { name: input.name, ...data },
    update: data,
  });
  return describeAttribute(row.name, specOf(row));
}
