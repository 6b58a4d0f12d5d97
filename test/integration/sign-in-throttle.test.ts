import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignInGate, passwordAttemptKeys } from '../../src/activities/authn/sign-in-gate.js';
import {
  createThrottle,
  delayAfter,
  IDENTIFIER_THROTTLE,
  PAIR_THROTTLE,
  REQUESTER_THROTTLE,
  throttleKey,
} from '../../src/activities/authn/throttle.js';
import type { ActivityDeps } from '../../src/activities/index.js';
import { createMessageRenderer } from '../../src/channels/render.js';
import { createPrisma } from '../../src/db/prisma.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
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
      expect(await throttle.attempt(key, IDENTIFIER_THROTTLE)).toMatchObject({ allowed: true });
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
      expect(await throttle.attempt(key, IDENTIFIER_THROTTLE)).toMatchObject({ allowed: true });
    }
    expect(delayAfter(30, IDENTIFIER_THROTTLE)).toBe(15 * 60_000);
  });

  it('refuses every attempt after 100 consecutive failures, however long one waits, until a success clears the count (NIST SP 800-63B §5.2.2)', async () => {
    const key = 'password:hundred';
    await prisma.authThrottle.create({
      data: { key, failures: 99, lastFailureAt: new Date(now.getTime() - 3_600_000) },
    });
    expect(await throttle.attempt(key, IDENTIFIER_THROTTLE)).toMatchObject({
      allowed: true,
      failures: 100,
    });
    later(24 * 3_600_000);
    expect(await throttle.attempt(key, IDENTIFIER_THROTTLE)).toEqual({
      allowed: false,
      locked: true,
    });
    await throttle.clear(key);
    expect(await throttle.attempt(key, IDENTIFIER_THROTTLE)).toMatchObject({
      allowed: true,
      failures: 1,
    });
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

  it('carries counts kept under older key names over to the active one, added up: a key rotation resets no throttle', async () => {
    const before = throttleKey('password', ['old-id'], ['old-requester']);
    for (let attempt = 0; attempt < 5; attempt += 1)
      await throttle.attempt(before, IDENTIFIER_THROTTLE);
    // After the rotation the same address and requester have new pseudonyms, the old ones after.
    const after = throttleKey('password', ['new-id', 'old-id'], ['new-requester', 'old-requester']);
    expect(after.name).toBe('password:new-id:new-requester');
    expect(after.formerly).toContain(before.name);
    expect(await throttle.attempt(after, IDENTIFIER_THROTTLE)).toMatchObject({
      allowed: false,
      locked: false,
    });
    expect(await prisma.authThrottle.findUnique({ where: { key: before.name } })).toBeNull();
    expect(await prisma.authThrottle.findUnique({ where: { key: after.name } })).toMatchObject({
      failures: 5,
    });
  });

  describe('the sign-in gate (NIST SP 800-63B-4 §3.2.2: limit guessing without a denial of service)', () => {
    const keyring = createKeyring(generateKeySpec('test'));
    const gateAt = () =>
      createSignInGate(
        {
          prisma,
          keyring,
          renderMessage: createMessageRenderer().render,
          productName: 'Parcours',
          now: () => now,
        } as ActivityDeps,
        { subject: IDENTIFIER_THROTTLE, pair: PAIR_THROTTLE, requester: REQUESTER_THROTTLE },
      );
    const DAY_MS = 24 * 3_600_000;
    const keysOf = (address: string, requester: string) =>
      passwordAttemptKeys(keyring, address, requester);
    /** Counts one wrong password from `requester`: answers whether it was judged. */
    const wrong = async (address: string, requester: string) => {
      const admission = await gateAt().admit(keysOf(address, requester));
      if (admission.allowed) await gateAt().failed(admission, undefined);
      return admission;
    };

    it("judges a requester with fewer than 3 failures of its own while the address is locked by others', and keeps refusing one that failed there", async () => {
      const address = 'locked@example.com';
      await prisma.authThrottle.create({
        data: { key: keysOf(address, 'x').subject.name, failures: 100 },
      });
      for (const _ of [1, 2, 3])
        expect(await wrong(address, 'attacker')).toMatchObject({ allowed: true });
      expect(await wrong(address, 'attacker')).toEqual({ allowed: false, locked: true });
      // The owner, from their own network: judged, and the right password lifts the lock.
      const owner = keysOf(address, 'owner');
      expect(await gateAt().admit(owner)).toMatchObject({ allowed: true, locksIfWrong: false });
      await gateAt().succeeded(owner);
      expect(await wrong(address, 'attacker')).toMatchObject({ allowed: true });
    });

    it('judges the owner at once while the address waits out the 15 minutes that guesses from elsewhere earned it', async () => {
      const address = 'delayed@example.com';
      const attacker = keysOf(address, 'attacker');
      await prisma.authThrottle.createMany({
        data: [
          { key: attacker.subject.name, failures: 30, lastFailureAt: now },
          { key: attacker.pair?.name as string, failures: 3, lastFailureAt: now },
        ],
      });
      expect(await wrong(address, 'attacker')).toEqual({
        allowed: false,
        locked: false,
        retryAt: new Date(now.getTime() + 15 * 60_000),
      });
      expect(await gateAt().admit(keysOf(address, 'owner'))).toMatchObject({ allowed: true });
    });

    it('locks one requester on one address after 20 failures, until a day after its count began', async () => {
      const address = 'lapsing@example.com';
      const pair = keysOf(address, 'patient').pair?.name as string;
      await prisma.authThrottle.create({
        data: { key: pair, failures: 19, lastFailureAt: new Date(now.getTime() - 3_600_000) },
      });
      const began = (await prisma.authThrottle.findUniqueOrThrow({ where: { key: pair } }))
        .windowStart;
      expect(await wrong(address, 'patient')).toMatchObject({ allowed: true });
      later(2 * 3_600_000);
      expect(await wrong(address, 'patient')).toEqual({
        allowed: false,
        locked: false,
        retryAt: new Date(began.getTime() + DAY_MS),
      });
      now = new Date(began.getTime() + DAY_MS + 1);
      expect(await wrong(address, 'patient')).toMatchObject({ allowed: true });
      expect(await prisma.authThrottle.findUnique({ where: { key: pair } })).toMatchObject({
        failures: 1,
      });
    });
  });
});
