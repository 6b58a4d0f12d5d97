import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { createModelStore, purgeExpiredModels } from '../../src/oidc/adapter.js';
import { KEY_OVERLAP_MS, loadSigningKeys, rotateSigningKeys } from '../../src/oidc/signing-keys.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/*
 * What the OpenID Connect provider keeps in PostgreSQL: its models (codes, tokens, sessions,
 * grants) found by hashed ids with sealed payloads, and its signing keys, rotated with overlap.
 */
describe('the OpenID Connect provider’s storage', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  const keyring = createKeyring(generateKeySpec('test'));

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrisma(db.url, { max: 4 });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  describe('its models', () => {
    const store = () => createModelStore(prisma, keyring);

    it('finds a model by its id only, and keeps neither the id nor the payload in clear (ASVS 5.0 V10.4.x)', async () => {
      const codes = store()('AuthorizationCode');
      const code = 'code-value-that-is-the-credential';
      await codes.upsert(
        code,
        {
          jti: code,
          accountId: 'user-1',
          grantId: 'grant-1',
          clientId: 'shop',
          kind: 'AuthorizationCode',
        },
        60,
      );
      expect(await codes.find(code)).toMatchObject({ accountId: 'user-1', grantId: 'grant-1' });
      expect(await codes.find('another-code')).toBeUndefined();
      // The same id under another model is another row.
      expect(await store()('RefreshToken').find(code)).toBeUndefined();
      const [row] = await prisma.$queryRaw<Array<{ dump: string }>>`
        SELECT id_hash || encode(payload, 'escape') AS dump FROM oidc_models WHERE kind = 'AuthorizationCode'`;
      expect(row?.dump).not.toContain(code);
      expect(row?.dump).not.toContain('user-1');
    });

    it('answers a consumed model with when it was consumed, and an expired one not at all', async () => {
      const tokens = store()('RefreshToken');
      await tokens.upsert('refresh-1', { jti: 'refresh-1', kind: 'RefreshToken' }, 60);
      await tokens.consume('refresh-1');
      expect((await tokens.find('refresh-1'))?.consumed).toEqual(expect.any(Number));
      await tokens.upsert('refresh-old', { jti: 'refresh-old', kind: 'RefreshToken' }, 1);
      const later = createModelStore(prisma, keyring, () => new Date(Date.now() + 2_000));
      expect(await later('RefreshToken').find('refresh-old')).toBeUndefined();
      expect(await purgeExpiredModels(prisma, new Date(Date.now() + 2_000))).toBeGreaterThanOrEqual(
        1,
      );
    });

    it('revokes every model of a grant at once, whatever its kind', async () => {
      const grant = 'grant-revoked';
      await store()('AccessToken').upsert('at-1', { jti: 'at-1', grantId: grant }, 60);
      await store()('RefreshToken').upsert('rt-1', { jti: 'rt-1', grantId: grant }, 60);
      await store()('AccessToken').upsert('at-other', { jti: 'at-other', grantId: 'kept' }, 60);
      await store()('AccessToken').revokeByGrantId(grant);
      expect(await store()('AccessToken').find('at-1')).toBeUndefined();
      expect(await store()('RefreshToken').find('rt-1')).toBeUndefined();
      expect(await store()('AccessToken').find('at-other')).toBeDefined();
    });

    it('finds a session by its uid, and refuses a payload moved to another row (it is bound to its own)', async () => {
      const sessions = store()('Session');
      await sessions.upsert(
        'session-a',
        { jti: 'session-a', uid: 'uid-a', accountId: 'user-a' },
        60,
      );
      await sessions.upsert(
        'session-b',
        { jti: 'session-b', uid: 'uid-b', accountId: 'user-b' },
        60,
      );
      expect(await sessions.findByUid('uid-a')).toMatchObject({ accountId: 'user-a' });
      const a = await prisma.oidcModel.findFirstOrThrow({
        where: { kind: 'Session', accountId: 'user-a' },
      });
      await prisma.oidcModel.updateMany({
        where: { kind: 'Session', accountId: 'user-b' },
        data: { payload: a.payload },
      });
      await expect(sessions.find('session-b')).rejects.toThrow();
    });
  });

  describe('its signing keys', () => {
    it('makes one key per algorithm once, however many processes start together', async () => {
      await Promise.all(Array.from({ length: 4 }, () => loadSigningKeys(prisma, keyring)));
      const rows = await prisma.oidcSigningKey.findMany();
      expect(rows.map((row) => row.alg).sort()).toEqual(['ES256', 'RS256']);
      // Kept sealed: the private part is nowhere in clear.
      const { keys } = await loadSigningKeys(prisma, keyring);
      for (const key of keys) {
        expect(key.d).toBeDefined();
        const row = rows.find((r) => r.kid === key.kid);
        expect(Buffer.from(row?.sealedJwk ?? []).toString('latin1')).not.toContain(key.d);
      }
    });

    it('publishes a rotated key at once, signs with it after the overlap, and keeps the old one published for another', async () => {
      const now = new Date();
      const before = (await loadSigningKeys(prisma, keyring, now)).keys;
      const rotated = await rotateSigningKeys(prisma, keyring, now);
      const firstOf = (keys: typeof before, alg: string) =>
        keys.find((key) => key.alg === alg)?.kid;

      const during = (await loadSigningKeys(prisma, keyring, new Date(now.getTime() + 1_000))).keys;
      expect(during.map((key) => key.kid)).toEqual(expect.arrayContaining(rotated));
      expect(firstOf(during, 'RS256')).toBe(firstOf(before, 'RS256'));

      const switched = new Date(now.getTime() + KEY_OVERLAP_MS + 1_000);
      const after = (await loadSigningKeys(prisma, keyring, switched)).keys;
      expect(rotated).toContain(firstOf(after, 'RS256'));
      expect(rotated).toContain(firstOf(after, 'ES256'));
      expect(after.map((key) => key.kid)).toContain(firstOf(before, 'RS256'));

      const gone = new Date(now.getTime() + 2 * KEY_OVERLAP_MS + 2_000);
      const last = (await loadSigningKeys(prisma, keyring, gone)).keys;
      expect(last.map((key) => key.kid)).not.toContain(firstOf(before, 'RS256'));
      expect(last.map((key) => key.kid).sort()).toEqual([...rotated].sort());
    });
  });
});
