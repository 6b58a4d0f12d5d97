import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  factorAttemptKeys,
  identifierThrottleKey,
} from '../../src/activities/authn/sign-in-gate.js';
import { type Activities, createActivities } from '../../src/activities/index.js';
import type { IssuedOtp, OtpPolicy } from '../../src/activities/otp/otp.js';
import { createOutbox } from '../../src/activities/outbox/outbox.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { hashPassword, verifyPassword } from '../../src/security/password-hash.js';
import { createVault, type Vault } from '../../src/security/vault.js';
import { asCall, testActivityDefaults } from '../support/activity-call.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { codeIn } from '../support/http.js';

/*
 * Account recovery acts for no session: what it may change is bound to a proof of the inbox made
 * in the very run asking (docs/security.md, trust boundary 3). These tests run the activities on a
 * real database, each call inside the activity context Temporal gives it (workflow id = the run).
 */

let db: TestDatabase;
let prisma: PrismaClient;
let vault: Vault;
let activities: Activities;
const keyring = createKeyring(generateKeySpec('test'));
const outbox = createOutbox({ keyring });

const OLD_PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase 2026';
let oldHash: string;
let newHash: string;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { max: 3 });
  vault = createVault(prisma, keyring);
  activities = createActivities({
    prisma,
    keyring,
    vault,
    ...testActivityDefaults,
  });
  [oldHash, newHash] = await Promise.all([hashPassword(OLD_PASSWORD), hashPassword(NEW_PASSWORD)]);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const recoveryPolicy: OtpPolicy = {
  purpose: 'recovery',
  channel: 'email',
  onlyToAccount: true,
  template: 'account-recovery-code',
  digits: 6,
  ttlMs: 600_000,
  resendCooldownMs: 30_000,
};

let addresses = 0;
/** An address no other test uses. */
const fresh = (name: string) => {
  addresses += 1;
  return `${name}-${addresses}-${randomUUID().slice(0, 8)}@example.com`;
};
let runs = 0;
/** A journey run id no other test uses. */
const freshRun = (name: string) => {
  runs += 1;
  return `jrn_${name}_${runs}`;
};

/** An account with a password (OLD_PASSWORD) and these email addresses, verified or not. */
async function seedAccount(
  emails: Array<{ value: string; verified: boolean }>,
  status = 'active',
): Promise<string> {
  const user = await prisma.user.create({
    data: {
      status,
      identifiers: {
        create: emails.map(({ value, verified }) => ({
          type: 'email',
          value,
          verifiedAt: verified ? new Date() : null,
        })),
      },
      credentials: { create: { type: 'password', secretHash: oldHash } },
    },
  });
  return user.id;
}

/** A live session of the account. */
const openSession = (userId: string) =>
  prisma.session.create({
    data: {
      userId,
      tokenHash: randomUUID(),
      aal: 1,
      amr: ['pwd'],
      authTime: new Date(),
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });

const issue = (journeyId: string, recipient: string, policy = recoveryPolicy, activityId = '1') =>
  asCall(journeyId, activityId).run(activities.issueOtp, { journeyId, recipient, policy });

const messageOf = (issued: IssuedOtp) =>
  prisma.outboundMessage.findUniqueOrThrow({ where: { id: issued.messageId } });
const challengeOf = (issued: IssuedOtp) =>
  prisma.otpChallenge.findUniqueOrThrow({ where: { id: issued.challengeId } });

/** The code in the message as it was rendered (sent or kept unsent). */
async function codeOf(issued: IssuedOtp): Promise<string> {
  return codeIn(outbox.open(await messageOf(issued))?.text ?? '');
}

/** Submits `code` for the challenge in the run `journeyId`, as the journey's verifyOtp call would. */
async function submit(journeyId: string, issued: IssuedOtp, code: string) {
  const ref = await vault.put({ purpose: 'test', value: code, ttlMs: 60_000 });
  return asCall(journeyId, '2').run(activities.verifyOtp, {
    challengeId: issued.challengeId,
    code: ref,
    maxAttempts: 5,
  });
}

/** The run `journeyId` is sent a recovery code to `email` and enters it: its proof of the inbox. */
async function proveInbox(journeyId: string, email: string, policy = recoveryPolicy) {
  const issued = await issue(journeyId, email, policy);
  await submit(journeyId, issued, await codeOf(issued));
  return issued.challengeId;
}

const findAccount = (journeyId: string, challengeId: string) =>
  asCall(journeyId, '3').run(activities.findRecoveryAccount, { challengeId });

const complete = (
  journeyId: string,
  challengeId: string,
  passwordHash = newHash,
  activityId = '4',
) =>
  asCall(journeyId, activityId).run(activities.completeRecovery, {
    journeyId,
    challengeId,
    passwordHash,
  });

/** A password sign-in attempt (no requester: the address's own count decides). */
async function signIn(email: string, password: string) {
  const ref = await vault.put({ purpose: 'test', value: password, ttlMs: 60_000 });
  return asCall(freshRun('sign_in'), '1').run(activities.verifyPassword, {
    identifier: email,
    password: ref,
  });
}

/** Locks the address's password the way 100 wrong guesses in a row would (NIST's hard limit). */
const lockPassword = (email: string) =>
  prisma.authThrottle.create({
    data: { key: identifierThrottleKey(keyring, email).name, failures: 100 },
  });

const notProven = { type: 'recovery_not_proven', nonRetryable: true };

const passwordOf = async (userId: string) =>
  (
    await prisma.credential.findFirstOrThrow({
      where: { userId, type: 'password' },
      select: { secretHash: true },
    })
  ).secretHash;

describe('issueOtp with onlyToAccount (recovery codes)', () => {
  it('sends a working recovery code to a verified address of an active account', async () => {
    const email = fresh('owner');
    await seedAccount([{ value: email, verified: true }]);
    const journeyId = freshRun('issue');
    const issued = await issue(journeyId, email);

    expect(await messageOf(issued)).toMatchObject({
      recipient: email,
      template: 'account-recovery-code',
      status: 'pending',
    });
    expect((await challengeOf(issued)).codeHash).not.toBeNull();
    expect(await submit(journeyId, issued, await codeOf(issued))).toEqual({ recipient: email });
  });

  it.each([
    ['an unknown address', async (email: string) => void email],
    [
      'an unverified address of an account',
      async (email: string) => void (await seedAccount([{ value: email, verified: false }])),
    ],
    [
      'the verified address of an account that is not active',
      async (email: string) =>
        void (await seedAccount([{ value: email, verified: true }], 'suspended')),
    ],
  ])(
    'answers %s as a known one but sends nothing and no code works (OWASP WSTG-IDNT-04, ASVS 5.0 V6.4.1)',
    async (_case, setUp) => {
      const known = fresh('known');
      await seedAccount([{ value: known, verified: true }]);
      const knownIssued = await issue(freshRun('known'), known);

      const email = fresh('other');
      await setUp(email);
      const journeyId = freshRun('unsent');
      const issued = await issue(journeyId, email);

      // The same answer: the same fields, the same expiry and resend times from issue.
      const timing = (answer: IssuedOtp) => ({
        keys: Object.keys(answer).sort(),
        resendAfterMs: Date.parse(answer.expiresAt) - Date.parse(answer.resendAvailableAt),
      });
      expect(timing(issued)).toEqual(timing(knownIssued));
      // The same work: a challenge and a rendered message, but kept unsent, and no code hash.
      const message = await messageOf(issued);
      expect(message).toMatchObject({
        recipient: email,
        template: 'account-recovery-code',
        status: 'suppressed',
      });
      const challenge = await challengeOf(issued);
      expect(challenge).toMatchObject({ journeyId, purpose: 'recovery', codeHash: null });
      // Not even the code rendered into the unsent message works.
      await expect(submit(journeyId, issued, await codeOf(issued))).rejects.toMatchObject({
        type: 'invalid_code',
      });
    },
  );
});

describe('findRecoveryAccount: the account only for a proof of its inbox made in this run', () => {
  it('answers the account and its confirmed second factors for a recovery code this run was sent and entered', async () => {
    const email = fresh('found');
    const userId = await seedAccount([{ value: email, verified: true }]);
    await prisma.credential.createMany({
      data: [
        { userId, type: 'totp', confirmedAt: new Date() },
        { userId, type: 'recovery_code', secretHash: 'x', confirmedAt: new Date() },
        // Enrolment begun, never confirmed: not a factor.
        { userId, type: 'webauthn', externalId: randomUUID() },
      ],
    });
    const journeyId = freshRun('found');
    const challengeId = await proveInbox(journeyId, email);

    expect(await findAccount(journeyId, challengeId)).toEqual({
      userId,
      factors: ['totp', 'recovery_code'],
    });
  });

  it("refuses another run's proof, even one made for the same account (recovery_not_proven)", async () => {
    const email = fresh('victim');
    const userId = await seedAccount([{ value: email, verified: true }]);
    const owner = freshRun('owner');
    const challengeId = await proveInbox(owner, email);

    await expect(findAccount(freshRun('other'), challengeId)).rejects.toMatchObject(notProven);
    // The same challenge is a proof for the run that made it.
    expect(await findAccount(owner, challengeId)).toMatchObject({ userId });
  });

  it('refuses a recovery code this run was sent but never entered (recovery_not_proven)', async () => {
    const email = fresh('unproven');
    await seedAccount([{ value: email, verified: true }]);
    const journeyId = freshRun('unproven');
    const issued = await issue(journeyId, email);
    expect((await challengeOf(issued)).codeHash).not.toBeNull();

    await expect(findAccount(journeyId, issued.challengeId)).rejects.toMatchObject(notProven);
  });

  it('takes no code for a challenge from another run: it is answered as no code, spends nothing, proves nothing', async () => {
    const email = fresh('entered-elsewhere');
    await seedAccount([{ value: email, verified: true }]);
    const journeyId = freshRun('asked');
    const issued = await issue(journeyId, email);
    // Entered through another run (a forged one, started on Temporal with this challenge's id).
    await expect(submit(freshRun('elsewhere'), issued, await codeOf(issued))).rejects.toMatchObject(
      { type: 'invalid_code' },
    );
    expect(await challengeOf(issued)).toMatchObject({ consumedAt: null, attempts: 0 });

    await expect(findAccount(journeyId, issued.challengeId)).rejects.toMatchObject(notProven);
  });

  it('refuses a code entered for another purpose than recovery (registration)', async () => {
    const email = fresh('purpose');
    await seedAccount([{ value: email, verified: true }]);
    const journeyId = freshRun('purpose');
    // A code for a purpose that sends one to any address, entered right in this very run.
    const challengeId = await proveInbox(journeyId, email, {
      purpose: 'registration',
      channel: 'email',
      template: 'registration-code',
      digits: 6,
      ttlMs: 600_000,
      resendCooldownMs: 30_000,
    });
    expect(
      await prisma.otpChallenge.findUniqueOrThrow({ where: { id: challengeId } }),
    ).toMatchObject({
      consumedAt: expect.any(Date),
    });

    await expect(findAccount(journeyId, challengeId)).rejects.toMatchObject(notProven);
  });

  it.each([
    ['an unverified address of an account', false, 'active'],
    ['the verified address of an account that is not active', true, 'suspended'],
  ])(
    'refuses a recovery code entered for %s (recovery_not_proven)',
    async (_case, verified, status) => {
      const email = fresh('not-an-account');
      await seedAccount([{ value: email, verified }], status);
      const journeyId = freshRun('not_an_account');
      // Sent a working code all the same (a policy without onlyToAccount), and it was entered right:
      // the account is still not one this address may recover.
      const challengeId = await proveInbox(journeyId, email, {
        ...recoveryPolicy,
        onlyToAccount: false,
      });
      expect(
        await prisma.otpChallenge.findUniqueOrThrow({ where: { id: challengeId } }),
      ).toMatchObject({
        purpose: 'recovery',
        consumedAt: expect.any(Date),
      });

      await expect(findAccount(journeyId, challengeId)).rejects.toMatchObject(notProven);
    },
  );
});

describe('completeRecovery: a new password, every session ended, every address told', () => {
  /**
   * An account with two verified addresses and an unverified one, two live sessions and one ended,
   * its password locked at its addresses and its TOTP locked; and another account with a live session.
   */
  async function lockedOutAccount() {
    const email = fresh('recover');
    const second = fresh('second');
    const unverified = fresh('unverified');
    const userId = await seedAccount([
      { value: email, verified: true },
      { value: second, verified: true },
      { value: unverified, verified: false },
    ]);
    const live = await Promise.all([openSession(userId), openSession(userId)]);
    const ended = await prisma.session.create({
      data: {
        userId,
        tokenHash: randomUUID(),
        aal: 1,
        amr: ['pwd'],
        authTime: new Date(),
        expiresAt: new Date(Date.now() + 3_600_000),
        revokedAt: new Date('2026-01-01T00:00:00Z'),
      },
    });
    const bystander = await seedAccount([{ value: fresh('bystander'), verified: true }]);
    const bystanderSession = await openSession(bystander);
    await lockPassword(email);
    await lockPassword(second);
    await prisma.authThrottle.create({
      data: { key: factorAttemptKeys('totp', userId).subject.name, failures: 100 },
    });
    return { userId, email, second, unverified, live, ended, bystanderSession };
  }

  const noticesOf = (userEmails: string[]) =>
    prisma.outboundMessage.findMany({
      where: { recipient: { in: userEmails }, template: 'password-reset' },
      orderBy: { recipient: 'asc' },
    });

  it('replaces the password with the new argon2id hash: the old one no longer verifies, the new one does (ASVS 5.0 V6.4.1)', async () => {
    const account = await lockedOutAccount();
    const journeyId = freshRun('reset');
    const challengeId = await proveInbox(journeyId, account.email);

    expect(await complete(journeyId, challengeId)).toEqual({
      userId: account.userId,
      sessionsEnded: 2,
    });

    const stored = await passwordOf(account.userId);
    expect(stored).toBe(newHash);
    expect(await verifyPassword(stored as string, NEW_PASSWORD)).toBe(true);
    expect(await verifyPassword(stored as string, OLD_PASSWORD)).toBe(false);
    // And so at sign-in.
    expect(await signIn(account.email, NEW_PASSWORD)).toMatchObject({ userId: account.userId });
    await expect(signIn(account.email, OLD_PASSWORD)).rejects.toMatchObject({
      type: 'invalid_credentials',
    });
  });

  it("ends every live session of the account, and no other account's (ASVS 5.0 V7.4.3)", async () => {
    const account = await lockedOutAccount();
    const journeyId = freshRun('sessions');
    await complete(journeyId, await proveInbox(journeyId, account.email));

    const sessions = await prisma.session.findMany({ where: { userId: account.userId } });
    expect(sessions).toHaveLength(3);
    for (const session of sessions) expect(session.revokedAt).not.toBeNull();
    // An ended session keeps when it ended.
    expect(
      (await prisma.session.findUniqueOrThrow({ where: { id: account.ended.id } })).revokedAt,
    ).toEqual(account.ended.revokedAt);
    expect(
      (await prisma.session.findUniqueOrThrow({ where: { id: account.bystanderSession.id } }))
        .revokedAt,
    ).toBeNull();
  });

  it('tells every verified address of the account, by the relay, and no unverified one (ASVS 5.0 V6.3.7)', async () => {
    const account = await lockedOutAccount();
    const journeyId = freshRun('notices');
    await complete(journeyId, await proveInbox(journeyId, account.email));

    const notices = await noticesOf([account.email, account.second, account.unverified]);
    expect(notices.map((notice) => notice.recipient)).toEqual(
      [account.email, account.second].sort(),
    );
    for (const notice of notices) {
      expect(notice).toMatchObject({ deliveredBy: 'relay', status: 'pending', journeyId });
      // A notice, not a code: nothing in it works for anyone who reads it.
      expect(outbox.open(notice)?.text).not.toMatch(/\b\d{6}\b/);
    }
  });

  it("lifts the account's password and TOTP locks: the new password is judged at once (ASVS 5.0 V6.3.1, NIST SP 800-63B-4 §3.2.2)", async () => {
    const account = await lockedOutAccount();
    // Locked: not even the right password is judged.
    await expect(signIn(account.email, OLD_PASSWORD)).rejects.toMatchObject({
      type: 'password_locked',
    });
    const journeyId = freshRun('locks');
    await complete(journeyId, await proveInbox(journeyId, account.email));

    const keys = [
      identifierThrottleKey(keyring, account.email).name,
      identifierThrottleKey(keyring, account.second).name,
      factorAttemptKeys('totp', account.userId).subject.name,
    ];
    expect(await prisma.authThrottle.count({ where: { key: { in: keys } } })).toBe(0);
    expect(await signIn(account.second, NEW_PASSWORD)).toMatchObject({ userId: account.userId });
  });

  it('queues no second set of notices when the same call is retried', async () => {
    const account = await lockedOutAccount();
    const journeyId = freshRun('retry');
    const challengeId = await proveInbox(journeyId, account.email);
    const first = await complete(journeyId, challengeId);
    const queued = await noticesOf([account.email, account.second]);
    expect(queued).toHaveLength(2);

    // Temporal runs the call again (same run, same activity id): a worker died before it was recorded.
    expect(await complete(journeyId, challengeId)).toEqual({ ...first, sessionsEnded: 0 });
    expect(await noticesOf([account.email, account.second])).toEqual(queued);
  });

  it('refuses a hash that is not argon2id (a password must never travel in the clear), changing nothing', async () => {
    const account = await lockedOutAccount();
    const journeyId = freshRun('not_argon2');
    const challengeId = await proveInbox(journeyId, account.email);

    for (const passwordHash of [
      NEW_PASSWORD,
      '$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ012',
    ]) {
      await expect(complete(journeyId, challengeId, passwordHash)).rejects.toThrow(/argon2id/);
    }
    expect(await passwordOf(account.userId)).toBe(oldHash);
    expect(await prisma.session.count({ where: { userId: account.userId, revokedAt: null } })).toBe(
      2,
    );
    expect(await noticesOf([account.email, account.second])).toEqual([]);
  });

  it("refuses another run's proof of the inbox (recovery_not_proven), changing nothing", async () => {
    const account = await lockedOutAccount();
    const owner = freshRun('proof_owner');
    const challengeId = await proveInbox(owner, account.email);
    const attacker = freshRun('attacker');

    // Its context names the attacker's run: the journeyId argument, whatever it says, proves
    // nothing; naming the owner's run is refused outright (run_refused).
    for (const [journeyId, refusal] of [
      [attacker, notProven],
      [owner, { type: 'run_refused' }],
    ] as const) {
      await expect(
        asCall(attacker, '4').run(activities.completeRecovery, {
          journeyId,
          challengeId,
          passwordHash: newHash,
        }),
      ).rejects.toMatchObject(refusal);
    }

    expect(await passwordOf(account.userId)).toBe(oldHash);
    expect(await prisma.session.count({ where: { userId: account.userId, revokedAt: null } })).toBe(
      2,
    );
    expect(await noticesOf([account.email, account.second])).toEqual([]);
    expect(
      await prisma.authThrottle.count({
        where: { key: identifierThrottleKey(keyring, account.email).name },
      }),
    ).toBe(1);
  });
});
