import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { PrismaClient } from '../db/prisma.js';
import type { Keyring } from '../security/keyring.js';
import { openJson, sealJson } from '../security/seal.js';
import { sha256Hex } from '../security/tokens.js';

/** The provider's own models this adapter keeps (clients come from the app registry instead). */
export type StoredModel = Exclude<string, 'Client'>;

/**
 * oidc-provider's storage on PostgreSQL (`oidc_models`). What the provider calls an id is, for a
 * code or a token, the credential itself: rows are found by its SHA-256 and hold the payload sealed
 * under the keyring's `oidc-models` key, bound to kind and id hash, so a copy of the table neither
 * redeems a code nor reads a session (ASVS 5.0 V10.4.x, RFC 6819 §5.1.4.1.3). The columns in clear
 * are what lookups and revocation need: grant, hashed uid, account, expiry.
 */
export function createModelStore(prisma: PrismaClient, keyring: Keyring, now = () => new Date()) {
  const keys = keyring.derive('oidc-models');
  const boundTo = (kind: string, idHash: string) => `${kind}:${idHash}`;

  const payloadOf = (row: {
    kind: string;
    idHash: string;
    payload: Uint8Array;
    expiresAt: Date | null;
    consumedAt: Date | null;
  }): AdapterPayload | undefined => {
    if (row.expiresAt && row.expiresAt <= now()) return undefined;
    const payload = openJson<AdapterPayload>(keys, row.payload, boundTo(row.kind, row.idHash));
    return row.consumedAt
      ? { ...payload, consumed: Math.floor(row.consumedAt.getTime() / 1000) }
      : payload;
  };

  /** The adapter oidc-provider constructs once per model name. */
  return function modelAdapter(kind: StoredModel): Adapter {
    return {
      async upsert(id, payload, expiresIn) {
        const idHash = sha256Hex(id);
        const data = {
          payload: sealJson(keys, payload, boundTo(kind, idHash)),
          grantId: payload.grantId ?? null,
          uidHash: payload.uid ? sha256Hex(payload.uid) : null,
          accountId: payload.accountId ?? null,
          clientId: payload.clientId ?? null,
          expiresAt: expiresIn ? new Date(now().getTime() + expiresIn * 1000) : null,
        };
        await prisma.oidcModel.upsert({
          where: { kind_idHash: { kind, idHash } },
          create: { kind, idHash, ...data },
          update: data,
        });
      },
      async find(id) {
        const row = await prisma.oidcModel.findUnique({
          where: { kind_idHash: { kind, idHash: sha256Hex(id) } },
        });
        return row ? payloadOf(row) : undefined;
      },
      async findByUid(uid) {
        const row = await prisma.oidcModel.findFirst({ where: { kind, uidHash: sha256Hex(uid) } });
        return row ? payloadOf(row) : undefined;
      },
      // The device flow is off: no model is ever found by a user code.
      async findByUserCode() {
        return undefined;
      },
      async consume(id) {
        await prisma.oidcModel.updateMany({
          where: { kind, idHash: sha256Hex(id), consumedAt: null },
          data: { consumedAt: now() },
        });
      },
      async destroy(id) {
        await prisma.oidcModel.deleteMany({ where: { kind, idHash: sha256Hex(id) } });
      },
      async revokeByGrantId(grantId) {
        await prisma.oidcModel.deleteMany({ where: { grantId } });
      },
    };
  };
}

/** Removes what the provider kept past its expiry (a timer in the API process calls it). */
export async function purgeExpiredModels(prisma: PrismaClient, at: Date): Promise<number> {
  return (await prisma.oidcModel.deleteMany({ where: { expiresAt: { lt: at } } })).count;
}
