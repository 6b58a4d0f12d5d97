import { randomBytes } from 'node:crypto';
import type { DbClient, PrismaClient } from '../db/prisma.js';
import type { DerivedKeys, Keyring } from './keyring.js';
import { openBytes, sealBytes } from './seal.js';

/** How long a process keeps a run's key in memory: a shredded key is forgotten everywhere by then. */
export const RUN_KEY_CACHE_MS = 5 * 60_000;
const CACHE_LIMIT = 10_000;

/** One run's key, as the sealing functions take a key set. */
export const runKeySet = (key: Buffer): DerivedKeys => ({
  activeKid: 'run',
  kids: ['run'],
  active: key,
  key: (kid) => (kid === 'run' ? key : undefined),
});

/**
 * A key per journey run (crypto-shredding of Temporal history): every payload of a run is sealed
 * with its own random 256-bit key, itself kept sealed by the keyring (bound to the run's id) in
 * `run_keys`. Destroying a run's key makes its history unreadable wherever a copy of it lives
 * (Temporal's database, its backups, an exported history). Keys are cached per process for at
 * most RUN_KEY_CACHE_MS.
 */
export function createRunKeys(prisma: PrismaClient, keyring: Keyring) {
  const sealing = keyring.derive('run-keys');
  const cache = new Map<string, { key: Buffer; until: number }>();
  const remember = (runId: string, key: Buffer) => {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(runId, { key, until: Date.now() + RUN_KEY_CACHE_MS });
    return key;
  };
  const cached = (runId: string) => {
    const hit = cache.get(runId);
    if (hit && hit.until > Date.now()) return hit.key;
    if (hit) cache.delete(runId);
    return undefined;
  };
  const read = async (runId: string) => {
    const row = await prisma.runKey.findUnique({ where: { runId } });
    return row ? openBytes(sealing, row.sealedKey, runId) : undefined;
  };
  return {
    /** The run's key, made on first use (two processes asking at once get the same one). */
    async keyFor(runId: string): Promise<Buffer> {
      const hit = cached(runId);
      if (hit) return hit;
      const fresh = randomBytes(32);
      const { count } = await prisma.runKey.createMany({
        data: [{ runId, sealedKey: sealBytes(sealing, fresh, runId) }],
        skipDuplicates: true,
      });
      if (count === 1) return remember(runId, fresh);
      const key = await read(runId);
      if (!key) throw new Error(`the key of run ${runId} was destroyed`);
      return remember(runId, key);
    },
    /** The run's key if it still exists: none once destroyed (the run's payloads are shredded). */
    async existingKey(runId: string): Promise<Buffer | undefined> {
      const hit = cached(runId);
      if (hit) return hit;
      const key = await read(runId);
      return key ? remember(runId, key) : undefined;
    },
    /** Forgets a key this process cached (the process that destroys keys forgets them at once). */
    forget(runIds: Iterable<string>) {
      for (const runId of runIds) cache.delete(runId);
    },
  };
}

export type RunKeys = ReturnType<typeof createRunKeys>;

/** Destroys the keys of these runs, in the caller's transaction: their histories become unreadable. */
export async function destroyRunKeys(db: DbClient, runIds: string[]): Promise<number> {
  if (runIds.length === 0) return 0;
  return (await db.runKey.deleteMany({ where: { runId: { in: runIds } } })).count;
}
