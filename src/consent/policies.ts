import { z } from 'zod';
import type { DbClient } from '../db/prisma.js';
import { isUniqueViolation } from '../db/prisma.js';
import { sha256Hex } from '../security/tokens.js';

/** A policy document's name (`privacy`, `terms`). */
export const policyName = () =>
  z.string().regex(/^[a-z][a-z0-9_-]{1,39}$/, 'Lower-case letters, digits, _ and -');

/** One version of a policy in one locale, as an operator publishes it (CLI and admin API). */
export const policyVersionInput = z.strictObject({
  policy: policyName(),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'Letters, digits, ., _ and -'),
  locale: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'A BCP 47 language tag (`en`, `fr-CA`)'),
  content: z.string().min(1).max(200_000),
  /** Customers must consent again once it is in effect (PingOne's "requires re-consent"). */
  material: z.boolean(),
  effective_at: z.iso.datetime({ offset: true }),
});
export type PolicyVersionInput = z.infer<typeof policyVersionInput>;

type PolicyRow = {
  policy: string;
  version: string;
  locale: string;
  content: string;
  contentHash: string;
  material: boolean;
  effectiveAt: Date;
  createdAt: Date;
};

/** A published version as the admin API and the CLI show it (`content` only where asked for). */
export const describePolicyVersion = (row: PolicyRow, withContent = false) => ({
  policy: row.policy,
  version: row.version,
  locale: row.locale,
  content_hash: row.contentHash,
  material: row.material,
  effective_at: row.effectiveAt.toISOString(),
  published_at: row.createdAt.toISOString(),
  ...(withContent ? { content: row.content } : {}),
});

/**
 * Policy documents with immutable versions: a version, once published in a locale, never changes
 * (what a customer accepted is its content hash). Publishing the very same content again answers
 * the version as it is; other content under a published version is refused.
 */
export function createPolicies(db: DbClient) {
  return {
    async publish(
      input: PolicyVersionInput,
    ): Promise<
      | { outcome: 'published' | 'unchanged'; version: ReturnType<typeof describePolicyVersion> }
      | { outcome: 'conflict' }
    > {
      const contentHash = sha256Hex(input.content);
      const key = { policy: input.policy, version: input.version, locale: input.locale };
      const existing = await db.policyVersion.findUnique({ where: { policy_version_locale: key } });
      if (existing)
        return existing.contentHash === contentHash &&
          existing.material === input.material &&
          existing.effectiveAt.getTime() === Date.parse(input.effective_at)
          ? { outcome: 'unchanged', version: describePolicyVersion(existing) }
          : { outcome: 'conflict' };
      try {
        const row = await db.policyVersion.create({
          data: {
            ...key,
            content: input.content,
            contentHash,
            material: input.material,
            effectiveAt: new Date(input.effective_at),
          },
        });
        return { outcome: 'published', version: describePolicyVersion(row) };
      } catch (error) {
        // Published by another request meanwhile: answered as if it came first.
        if (isUniqueViolation(error)) return this.publish(input);
        throw error;
      }
    },
    /** Every published version, newest in effect first, per policy and locale. */
    async list(policy?: string) {
      const rows = await db.policyVersion.findMany({
        ...(policy ? { where: { policy } } : {}),
        orderBy: [{ policy: 'asc' }, { locale: 'asc' }, { effectiveAt: 'desc' }],
      });
      return rows.map((row) => describePolicyVersion(row));
    },
    /** One version in one locale, with its content. */
    async get(policy: string, version: string, locale: string) {
      const row = await db.policyVersion.findUnique({
        where: { policy_version_locale: { policy, version, locale } },
      });
      return row ? describePolicyVersion(row, true) : undefined;
    },
    /** The version in effect at `at` in a locale: the latest whose effective date has come. */
    async inEffect(policy: string, locale: string, at: Date) {
      const row = await db.policyVersion.findFirst({
        where: { policy, locale, effectiveAt: { lte: at } },
        orderBy: { effectiveAt: 'desc' },
      });
      return row ? describePolicyVersion(row, true) : undefined;
    },
  };
}
