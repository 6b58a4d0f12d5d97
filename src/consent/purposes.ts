import { z } from 'zod';
import type { DbClient } from '../db/prisma.js';
import { policyName } from './policies.js';

/** A purpose's id: snake case, as an operator names it (`marketing_email`). */
export const purposeId = () =>
  z
    .string()
    .regex(/^[a-z][a-z0-9_]{1,62}$/, 'Lower-case letters, digits and _, starting with a letter');

/** A purpose as an operator declares it (CLI and admin API): what it covers. */
export const purposeInput = z.strictObject({
  id: purposeId(),
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).optional(),
  attributes: z.array(z.string().min(1).max(63)).max(200).default([]),
  apps: z.array(z.string().min(1).max(63)).max(200).default([]),
  /** The policy document a decision on it is made under. */
  policy: policyName().default('privacy'),
  /** Needed to hold an account (terms of use): never denied, withdrawn only by erasure. */
  required: z.boolean().default(false),
  /** Days a grant lasts before it is asked again; absent: until withdrawn. */
  validity_days: z.number().int().min(1).max(3650).optional(),
});
export type PurposeInput = z.infer<typeof purposeInput>;

type PurposeRow = {
  id: string;
  name: string;
  description: string | null;
  attributes: string[];
  apps: string[];
  policy: string;
  required: boolean;
  validityDays: number | null;
  createdAt: Date;
  updatedAt: Date;
};

/** A purpose as the admin API and the CLI show it. */
export const describePurpose = (row: PurposeRow) => ({
  id: row.id,
  name: row.name,
  ...(row.description ? { description: row.description } : {}),
  attributes: row.attributes,
  apps: row.apps,
  policy: row.policy,
  required: row.required,
  ...(row.validityDays ? { validity_days: row.validityDays } : {}),
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

/** Purposes: declared (or redeclared) by id, listed, removed. */
export function createPurposes(db: DbClient) {
  return {
    async define(input: PurposeInput) {
      const data = {
        name: input.name,
        description: input.description ?? null,
        attributes: input.attributes,
        apps: input.apps,
        policy: input.policy,
        required: input.required,
        validityDays: input.validity_days ?? null,
        updatedAt: new Date(),
      };
      const row = await db.purpose.upsert({
        where: { id: input.id },
        create: { id: input.id, ...data },
        update: data,
      });
      return describePurpose(row);
    },
    async list() {
      return (await db.purpose.findMany({ orderBy: { id: 'asc' } })).map(describePurpose);
    },
    async remove(id: string): Promise<boolean> {
      return (await db.purpose.deleteMany({ where: { id } })).count === 1;
    },
  };
}
