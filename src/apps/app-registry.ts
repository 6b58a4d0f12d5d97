import { z } from 'zod';
import type { DbClient } from '../db/prisma.js';
import { isUniqueViolation } from '../db/prisma.js';
import { randomToken, safeEqualHex, sha256Hex } from '../security/tokens.js';
import {
  type ClientRow,
  clientChange,
  clientColumns,
  clientFields,
  describeClient,
} from './client-fields.js';
import { clientId } from './client-id.js';
import { policyOf, profilingPolicy } from './profiling-policy.js';

export { clientId } from './client-id.js';

/** The most an app's namespace may be given per customer (its `data_limit_bytes`). */
export const MAX_APP_DATA_BYTES = 64 * 1024;

const appFields = {
  name: z.string().trim().min(1).max(100),
  /** First-party apps are the brand's own; third-party ones see only customers who used them. */
  kind: z.enum(['first_party', 'third_party']),
  attributes: z.array(z.string().min(1).max(63)).max(200).default([]),
  purposes: z.array(z.string().min(1).max(63)).max(100).default([]),
  data_limit_bytes: z
    .int()
    .min(256)
    .max(MAX_APP_DATA_BYTES)
    .default(16 * 1024),
  profiling: profilingPolicy.optional(),
  ...clientFields,
};

/** An app as an operator registers it (CLI and admin API). */
export const appInput = z.strictObject({ id: clientId(), ...appFields });
/** A change to a registered app: any of its fields but its id and secret. */
export const appChange = z.strictObject({
  name: appFields.name.optional(),
  kind: appFields.kind.optional(),
  attributes: z.array(z.string().min(1).max(63)).max(200).optional(),
  purposes: z.array(z.string().min(1).max(63)).max(100).optional(),
  data_limit_bytes: z.int().min(256).max(MAX_APP_DATA_BYTES).optional(),
  profiling: profilingPolicy.optional(),
  ...clientChange,
});

export interface RegisteredApp {
  id: string;
  name: string;
  kind: 'first_party' | 'third_party';
  attributes: string[];
  purposes: string[];
  dataLimitBytes: number;
  profiling: ReturnType<typeof policyOf>;
}

type AppRow = ClientRow & {
  kind: string;
  attributes: string[];
  purposes: string[];
  dataLimitBytes: number;
  profiling: unknown;
  createdAt: Date;
  secretRotatedAt: Date;
};

const appOf = (row: AppRow): RegisteredApp => ({
  id: row.id,
  name: row.name,
  kind: row.kind === 'third_party' ? 'third_party' : 'first_party',
  attributes: row.attributes,
  purposes: row.purposes,
  dataLimitBytes: row.dataLimitBytes,
  profiling: policyOf(row.profiling),
});

/** An app as the admin API and the CLI show it: never its secret, nor its hash. */
export const describeApp = (row: AppRow) => {
  const app = appOf(row);
  return {
    client_id: app.id,
    name: app.name,
    kind: app.kind,
    attributes: app.attributes,
    purposes: app.purposes,
    data_limit_bytes: app.dataLimitBytes,
    profiling: app.profiling,
    ...describeClient(row),
    created_at: row.createdAt.toISOString(),
    secret_rotated_at: row.secretRotatedAt.toISOString(),
  };
};

/** A client secret: 256 bits from the CSPRNG, shown once, kept as its SHA-256 (ASVS 2.4, 3.5.2). */
const newSecret = () => randomToken(32);

/** The registry of apps, the same store the OpenID Connect provider will read its clients from. */
export function createAppRegistry(db: DbClient) {
  return {
    async add(input: z.infer<typeof appInput>) {
      const secret = newSecret();
      try {
        const row = await db.app.create({
          data: {
            id: input.id,
            name: input.name,
            kind: input.kind,
            secretHash: sha256Hex(secret),
            attributes: input.attributes,
            purposes: input.purposes,
            dataLimitBytes: input.data_limit_bytes,
            profiling: input.profiling ?? profilingPolicy.parse({}),
            ...clientColumns(input),
          },
        });
        return { app: describeApp(row), client_secret: secret };
      } catch (error) {
        if (isUniqueViolation(error)) return 'exists' as const;
        throw error;
      }
    },
    async list() {
      return (await db.app.findMany({ orderBy: { id: 'asc' } })).map(describeApp);
    },
    async get(id: string) {
      const row = await db.app.findUnique({ where: { id } });
      return row ? describeApp(row) : undefined;
    },
    async change(id: string, change: z.infer<typeof appChange>) {
      const { count } = await db.app.updateMany({
        where: { id },
        data: {
          ...(change.name !== undefined ? { name: change.name } : {}),
          ...(change.kind !== undefined ? { kind: change.kind } : {}),
          ...(change.attributes !== undefined ? { attributes: change.attributes } : {}),
          ...(change.purposes !== undefined ? { purposes: change.purposes } : {}),
          ...(change.data_limit_bytes !== undefined
            ? { dataLimitBytes: change.data_limit_bytes }
            : {}),
          ...(change.profiling !== undefined ? { profiling: change.profiling } : {}),
          ...clientColumns(change),
        },
      });
      if (count !== 1) return undefined;
      return describeApp(await db.app.findUniqueOrThrow({ where: { id } }));
    },
    /** A new secret; the old one stops working at once. */
    async rotateSecret(id: string) {
      const secret = newSecret();
      const { count } = await db.app.updateMany({
        where: { id },
        data: { secretHash: sha256Hex(secret), secretRotatedAt: new Date() },
      });
      return count === 1 ? { client_id: id, client_secret: secret } : undefined;
    },
    /** Removes the app and its namespaces and counts; its attributes' values stay with the customers. */
    async remove(id: string): Promise<boolean> {
      const [, , , removed] = await db.$transaction([
        db.appData.deleteMany({ where: { appId: id } }),
        db.appSignIn.deleteMany({ where: { appId: id } }),
        db.profilingSkip.deleteMany({ where: { appId: id } }),
        db.app.deleteMany({ where: { id } }),
      ]);
      return removed.count === 1;
    },
    /**
     * The app whose client credentials these are, or undefined. An unknown client id costs the same
     * hash and comparison as a known one, so timing does not tell which ids exist.
     */
    async authenticate(id: string, secret: string): Promise<RegisteredApp | undefined> {
      const row = await db.app.findUnique({ where: { id } });
      const presented = sha256Hex(secret);
      const matches = safeEqualHex(presented, row?.secretHash ?? sha256Hex(`absent:${secret}`));
      return row && matches ? appOf(row) : undefined;
    },
    async find(id: string): Promise<RegisteredApp | undefined> {
      const row = await db.app.findUnique({ where: { id } });
      return row ? appOf(row) : undefined;
    },
  };
}

export type AppRegistry = ReturnType<typeof createAppRegistry>;
