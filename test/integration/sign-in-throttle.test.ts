import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createThrottle,
  delayAfter,
  IDENTIFIER_THROTTLE,
  REQUESTER_THROTTLE,
} from '../../src/activities/authn/throttle.js';
import { createPrisma } from '../../src/db/prisma.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** The sign-in throttle on PostgreSQL, on a clock the test moves (NIST SP 800-63B §5.2.2). */
describe('the sign-in throttle', () => {
  let db: TestDatabase;
  let prisma: ReturnType<typeof createPrisma>;
  let now = new Date('2026-11-30T12:00:00.000Z');
  const later = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  let throttle: ReturnType<typeof createThrottle>;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrisma(db.url, { max: 4 });
    throttle = createThrottle(prisma, () => now);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  it('lets 5 attempts through at once, then makes each wait twice as long as the one before, up to 15 minutes', async () => {
    const key = 'password:progressive';
    for (let attempt = 0; attempt < 5; attempt += 1)
      expect(await throttle.attempt(key, IDENTIFIER_THROTTLE)).toEqual({ allowed: true });
    for (const wait of [1_000, 2_000, 4_000, 8_000]) {
      const refused = await throttle.attempt(key, IDENTIFIER_THROTTLE);
      expect(refused).toEqual({
        allowed: false,
        locked: false,
        retryAt: new Date(now.getTime() + wait),
      });
      later(wait - 1);
      expect((await throttle.attempt(key, IDENTIFIER_THROTTLE)).allowed).toBe(false);
      later(1);
      expect(await throttle.attempt(key, IDENTIFIER_THROTTLE)).toEqual({ allowed: true });
    }
    expect(delayAfter(30, IDENTIFIER_THROTTLE)).toBe(15 * 60_000);
  });

  it('refuses every attempt after 100 consecutive failures, however long one waits, until a success clears the count (NIST SP 800-63B §5.2.2)', async () => {
    const key = 'password:hundred';
    await prisma.authThrottle.create({
      data: { key, failures: 99, lastFailureAt: new Date(now.getTime() - 3_600_000) },
    });
    expect(await throttle.attempt(key, IDENTIFIER_THROTTLE)).toEqual({ allowed: true });
    later(24 * 3_600_000);
    expect(await throttle.attempt(key, IDENTIFIER_THROTTLE)).toEqual({
      allowed: false,
      locked: true,
    });
    await throttle.clear(key);
    expect(await throttle.attempt(key, IDENTIFIER_THROTTLE)).toEqual({ allowed: true });
  });

  it('lets no more than one of many simultaneous attempts past a wait: the count and the decision are one statement', async () => {
    const key = 'password:simultaneous';
    for (let attempt = 0; attempt < 5; attempt += 1)
      await throttle.attempt(key, IDENTIFIER_THROTTLE);
    later(60_000);
    const verdicts = await Promise.all(
      Array.from({ length: 8 }, () => throttle.attempt(key, IDENTIFIER_THROTTLE)),
    );
    expect(verdicts.filter((verdict) => verdict.allowed)).toHaveLength(1);
  });

  it("counts a requester's failures per hour, and gives a success back", async () => {
    const key = 'requester:hourly';
    for (let attempt = 0; attempt < REQUESTER_THROTTLE.free; attempt += 1)
      expect((await throttle.attempt(key, REQUESTER_THROTTLE)).allowed).toBe(true);
    expect((await throttle.attempt(key, REQUESTER_THROTTLE)).allowed).toBe(false);
    await throttle.giveBack(key);
    expect((await throttle.attempt(key, REQUESTER_THROTTLE)).allowed).toBe(true);
    expect((await throttle.attempt(key, REQUESTER_THROTTLE)).allowed).toBe(false);
    later(60 * 60_000 + 1);
    expect((await throttle.attempt(key, REQUESTER_THROTTLE)).allowed).toBe(true);
  });
});
