import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { PrismaClient } from '../db/prisma.js';
import type { Keyring } from '../security/keyring.js';
import { openJson, sealJson } from '../security/seal.js';

/**
 * The algorithms ID tokens are signed with: RS256 because OpenID Connect Core §15.1 makes every
 * relying party support it, ES256 for those that ask for it (`id_token_signed_response_alg`).
 */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** How long a new key is published before it signs, and a retired one after it stops. */
export const KEY_OVERLAP_MS = 2 * 24 * 3_600_000;

const bound = (kid: string) => `oidc-signing-key:${kid}`;

async function newKey(keys: ReturnType<Keyring['derive']>, alg: SigningAlgorithm, at: Date) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  return { kid, alg, sealedJwk: sealJson(keys, jwk, bound(kid)), signsFrom: at };
}

/**
 * The provider's signing keys as a private JWK set: for each algorithm the newest key that signs
 * now comes first (oidc-provider signs with the first of an algorithm), then the keys published
 * beside it (a next one not signing yet, a retired one still checking what it signed). The first
 * start makes one key per algorithm, once whichever process starts first (an advisory lock).
 */
export async function loadSigningKeys(
  prisma: PrismaClient,
  keyring: Keyring,
  now = new Date(),
): Promise<{ keys: JWK[] }> {
  const keys = keyring.derive('oidc-signing-keys');
  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('oidc-signing-keys', 0))`;
    const present = new Set(
      (
        await tx.oidcSigningKey.findMany({
          where: { OR: [{ retiredAt: null }, { retiredAt: { gt: now } }] },
          select: { alg: true },
        })
      ).map((row) => row.alg),
    );
    const missing = SIGNING_ALGORITHMS.filter((alg) => !present.has(alg));
    if (missing.length)
      await tx.oidcSigningKey.createMany({
        data: await Promise.all(missing.map((alg) => newKey(keys, alg, now))),
      });
  });
  const rows = await prisma.oidcSigningKey.findMany({
    where: {
      OR: [{ retiredAt: null }, { retiredAt: { gt: new Date(now.getTime() - KEY_OVERLAP_MS) } }],
    },
    orderBy: { signsFrom: 'desc' },
  });
  const signing = (row: (typeof rows)[number]) =>
    row.signsFrom <= now && (row.retiredAt === null || row.retiredAt > now);
  const ordered = [...rows.filter(signing), ...rows.filter((row) => !signing(row))];
  return { keys: ordered.map((row) => openJson<JWK>(keys, row.sealedJwk, bound(row.kid))) };
}

/**
 * Rotation: a new key per algorithm, published now and signing after the overlap; the keys it
 * replaces are retired then and stay published for another overlap. Keys retired longer ago than
 * that are removed. Answers the new keys' ids.
 */
export async function rotateSigningKeys(
  prisma: PrismaClient,
  keyring: Keyring,
  now = new Date(),
): Promise<string[]> {
  const keys = keyring.derive('oidc-signing-keys');
  const switchAt = new Date(now.getTime() + KEY_OVERLAP_MS);
  const fresh = await Promise.all(SIGNING_ALGORITHMS.map((alg) => newKey(keys, alg, switchAt)));
  await prisma.$transaction([
    prisma.oidcSigningKey.deleteMany({
      where: { retiredAt: { lt: new Date(now.getTime() - KEY_OVERLAP_MS) } },
    }),
    prisma.oidcSigningKey.updateMany({
      where: { retiredAt: null, signsFrom: { lte: now } },
      data: { retiredAt: switchAt },
    }),
    prisma.oidcSigningKey.createMany({ data: fresh }),
  ]);
  return fresh.map((key) => key.kid);
}

/** The keys as operators see them: never their private part. */
export async function listSigningKeys(prisma: PrismaClient) {
  const rows = await prisma.oidcSigningKey.findMany({ orderBy: { createdAt: 'desc' } });
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    created_at: row.createdAt.toISOString(),
    signs_from: row.signsFrom.toISOString(),
    ...(row.retiredAt ? { retired_at: row.retiredAt.toISOString() } : {}),
  }));
}
