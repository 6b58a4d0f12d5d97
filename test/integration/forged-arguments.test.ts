import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FACTOR_RESET_PURPOSE } from '../../src/activities/authn/factor-resets.js';
import { PHONE_ENROLMENT_PURPOSE } from '../../src/activities/authn/phones.js';
import { type Activities, createActivities } from '../../src/activities/index.js';
import {
  type IssuedOtp,
  MAX_CODE_ATTEMPTS,
  MIN_CODE_DIGITS,
  type OtpPolicy,
} from '../../src/activities/otp/otp.js';
import { createOutbox } from '../../src/activities/outbox/outbox.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { sha256Hex } from '../../src/security/tokens.js';
import { createVault, type Vault } from '../../src/security/vault.js';
import { createSessionGrants } from '../../src/sessions/session-grant.js';
import type { SessionRef } from '../../src/sessions/session-ref.js';
import { sessionRefOf } from '../../src/sessions/session-store.js';
import { asCall, testActivityDefaults } from '../support/activity-call.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { codeIn } from '../support/http.js';
import { createSoftAuthenticator } from '../support/soft-authenticator.js';

/*
 * Trust boundary 1 (docs/security.md): anyone who reaches Temporal can start a run with arguments
 * of its choosing, so an activity verifies what it is handed. The run it acts for is its own
 * workflow id, never a `journeyId` argument naming another run: one run cannot take another's
 * session, reset, challenge or slot (ASVS 5.0 V8.2.2, V8.3.1: access decided at the trusted layer,
 * not by what the caller names), and a policy in the arguments cannot loosen a code's length or its
 * guess limit (ASVS 5.0 V2.2.2: checked at the trusted layer). Each call runs in the activity context
 * Temporal gives it (workflow id = the run), on a real database, with a simulated clock.
 */

let db: TestDatabase;
let prisma: PrismaClient;
let vault: Vault;
let activities: Activities;
const keyring = createKeyring(generateKeySpec('test'));
const grants = createSessionGrants(keyring);
const outbox = createOutbox({ keyring });
const RP = { rpId: 'localhost', rpName: 'Parcours', origins: ['http://localhost:3000'] };

const START = new Date('2026-03-02T09:00:00.000Z');
/** The clock every activity reads; a test moves it instead of waiting. */
const clock = { at: START };
const later = (ms: number) => new Date(clock.at.getTime() + ms);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { max: 3 });
  vault = createVault(prisma, keyring);
  activities = createActivities({
    prisma,
    keyring,
    vault,
    ...testActivityDefaults,
    webauthn: RP,
    now: () => clock.at,
  });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});
beforeEach(() => {
  clock.at = START;
});

/** What an activity answers a `journeyId` naming another run than its own. */
const runRefused = { type: 'run_refused', nonRetryable: true };

let runs = 0;
/** A journey run id no other test uses. */
const freshRun = (name: string) => {
  runs += 1;
  return `jrn_${name}_${runs}`;
};
let addresses = 0;
/** An address no other test uses. */
const freshAddress = (name: string) => {
  addresses += 1;
  return `${name}-${addresses}-${randomUUID().slice(0, 8)}@example.com`;
};

/** An active account with a verified address, a password and (by default) a confirmed TOTP key. */
async function seedAccount({ totp = true } = {}) {
  const email = freshAddress('owner');
  const { id: userId } = await prisma.user.create({
    data: {
      identifiers: { create: { type: 'email', value: email, verifiedAt: clock.at } },
      credentials: {
        create: [
          { type: 'password', secretHash: '$argon2id$not-checked-here' },
          ...(totp ? [{ type: 'totp', confirmedAt: clock.at }] : []),
        ],
      },
    },
  });
  return { userId, email };
}

/** A live session of the account, its reference signed by the API for the run `run` alone. */
async function grantedSession(userId: string, run: string, aal = 2): Promise<SessionRef> {
  const row = await prisma.session.create({
    data: {
      userId,
      tokenHash: randomUUID(),
      aal,
      amr: aal === 2 ? ['pwd', 'otp'] : ['pwd'],
      authTime: clock.at,
      expiresAt: later(DAY),
      lastSeenAt: clock.at,
    },
  });
  return grants.sign(sessionRefOf(row), {
    run,
    journey: 'test@1',
    notAfter: later(HOUR).toISOString(),
    demand: {},
  });
}

const codePolicy: OtpPolicy = {
  purpose: 'registration',
  channel: 'email',
  template: 'registration-code',
  digits: 6,
  ttlMs: 10 * MINUTE,
  resendCooldownMs: 30_000,
};

const issue = (journeyId: string, recipient: string, policy = codePolicy, activityId = '1') =>
  asCall(journeyId, activityId).run(activities.issueOtp, { journeyId, recipient, policy });

const challengeOf = (issued: IssuedOtp) =>
  prisma.otpChallenge.findUniqueOrThrow({ where: { id: issued.challengeId } });

/** The text of the message that carries the code, as it was rendered. */
async function messageText(issued: IssuedOtp): Promise<string> {
  const message = await prisma.outboundMessage.findUniqueOrThrow({
    where: { id: issued.messageId },
  });
  return outbox.open(message)?.text ?? '';
}

/** A six-digit code that is not `code`. */
const wrongCode = (code: string) => `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;

/** Submits `code` for the challenge in the run `journeyId`, as the journey's verifyOtp call would. */
async function submit(
  journeyId: string,
  activityId: string,
  challengeId: string,
  code: string,
  maxAttempts = 5,
) {
  const ref = await vault.put({ purpose: 'test', value: code, ttlMs: 60_000 });
  return asCall(journeyId, activityId).run(activities.verifyOtp, {
    challengeId,
    code: ref,
    maxAttempts,
  });
}

describe('trust boundary 1: an activity acts only for the run calling it, whatever journeyId says (ASVS 5.0 V8.2.2, V8.3.1)', () => {
  it.each([
    'issueOtp',
    'createSession',
    'raiseSession',
    'createAccount',
    'replaceEmail',
    'issueRecoveryCodes',
    'forgetRecoveryCodes',
    'verifyRecoveryCode',
    'removeFactor',
    'sendSmsCode',
    'enrolPhone',
    'scheduleFactorReset',
    'completeRecovery',
    'beginTotpEnrolment',
    'confirmTotp',
    'beginPasskeyRegistration',
    'finishPasskeyRegistration',
    'beginPasskeySignIn',
    'verifyPasskey',
    'recordSubscription',
    // registration@1's names for issueOtp and createAccount, for its runs still in flight.
    'issueEmailCode',
    'createUser',
  ] as const)('%s refuses a journeyId naming another run (run_refused)', async (name) => {
    const activity = activities[name] as (input: unknown) => Promise<unknown>;
    await expect(
      asCall(freshRun('forged'), '1').run(activity, { journeyId: freshRun('other') }),
    ).rejects.toMatchObject(runRefused);
  });

  it("createSession: a run naming another run's journeyId gets run_refused, that run's session and token untouched, none made", async () => {
    const { userId } = await seedAccount();
    const victim = freshRun('victim');
    const made = await asCall(victim, '1').run(activities.createSession, {
      journeyId: victim,
      userId,
      aal: 1,
      amr: ['pwd'],
    });
    const before = await prisma.session.findUniqueOrThrow({ where: { id: made.id } });

    // Without the check, the call would find the victim's session (made by "its" run) and hand
    // the forged run a fresh token for it.
    await expect(
      asCall(freshRun('attacker'), '1').run(activities.createSession, {
        journeyId: victim,
        userId,
        aal: 2,
        amr: ['pwd', 'otp'],
      }),
    ).rejects.toMatchObject(runRefused);

    expect(await prisma.session.findMany({ where: { userId } })).toEqual([before]);
    expect(before.revokedAt).toBeNull();
    // The token the victim's run was handed still opens its session.
    expect(sha256Hex((await vault.reveal(made.token.$secret)) ?? '')).toBe(before.tokenHash);
  });

  describe('a factor reset acts only for the run that scheduled it', () => {
    const WAIT_MS = 7 * DAY;
    const resetPolicy: OtpPolicy = {
      ...codePolicy,
      purpose: FACTOR_RESET_PURPOSE,
      template: 'account-recovery-code',
      onlyToAccount: true,
    };

    /** An account with a TOTP key whose owner's run proved the inbox and scheduled a reset. */
    async function scheduledReset() {
      const account = await seedAccount();
      const owner = freshRun('reset_owner');
      const issued = await issue(owner, account.email, resetPolicy);
      await submit(owner, '2', issued.challengeId, codeIn(await messageText(issued)));
      const { resetId, dueAt } = await asCall(owner, '3').run(activities.scheduleFactorReset, {
        journeyId: owner,
        challengeId: issued.challengeId,
        waitMs: WAIT_MS,
      });
      return { ...account, owner, resetId, dueAt: new Date(dueAt) };
    }

    const factorsOf = async (userId: string) =>
      (
        await prisma.credential.findMany({
          where: { userId },
          orderBy: { type: 'asc' },
          select: { type: true },
        })
      ).map(({ type }) => type);
    const resetOf = (resetId: string) =>
      prisma.factorReset.findUniqueOrThrow({ where: { id: resetId } });
    const noticesTo = (email: string, template: string) =>
      prisma.outboundMessage.count({ where: { recipient: email, template } });

    it('completeFactorReset from another run, even once due: run_refused, every factor kept, the reset still pending', async () => {
      const reset = await scheduledReset();
      clock.at = reset.dueAt;

      await expect(
        asCall(freshRun('attacker'), '1').run(activities.completeFactorReset, {
          resetId: reset.resetId,
        }),
      ).rejects.toMatchObject(runRefused);

      expect(await factorsOf(reset.userId)).toEqual(['password', 'totp']);
      expect(await resetOf(reset.resetId)).toMatchObject({ completedAt: null, cancelledAt: null });
      expect(await noticesTo(reset.email, 'factor-reset-done')).toBe(0);
    });

    it('remindFactorReset from another run: run_refused, no reminder queued', async () => {
      const reset = await scheduledReset();
      clock.at = new Date(reset.dueAt.getTime() - DAY);

      await expect(
        asCall(freshRun('attacker'), '1').run(activities.remindFactorReset, {
          resetId: reset.resetId,
        }),
      ).rejects.toMatchObject(runRefused);

      expect(await noticesTo(reset.email, 'factor-reset-reminder')).toBe(0);
    });

    it('completeFactorReset from its own run: a plain error Temporal retries before the reset is due, the factors removed once it is', async () => {
      const reset = await scheduledReset();
      const complete = () =>
        asCall(reset.owner, '4').run(activities.completeFactorReset, { resetId: reset.resetId });

      // A worker whose clock is behind the run's timer: not a business failure, so it is retried.
      clock.at = new Date(reset.dueAt.getTime() - MINUTE);
      const early = await complete().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(early).toBeInstanceOf(Error);
      expect(early).not.toBeInstanceOf(ApplicationFailure);
      expect((early as Error).message).toMatch(/due at/);
      expect(await factorsOf(reset.userId)).toEqual(['password', 'totp']);
      expect((await resetOf(reset.resetId)).completedAt).toBeNull();

      // The same call retried at the due time.
      clock.at = reset.dueAt;
      expect(await complete()).toEqual({ status: 'completed' });
      expect(await factorsOf(reset.userId)).toEqual(['password']);
      expect((await resetOf(reset.resetId)).completedAt).toEqual(reset.dueAt);
      expect(await noticesTo(reset.email, 'factor-reset-done')).toBe(1);
    });
  });

  it("verifyOtp on another run's challenge: invalid_code as for an unknown one, nothing spent, and its run still verifies it", async () => {
    const email = freshAddress('code');
    const victim = freshRun('victim');
    const issued = await issue(victim, email);
    const code = codeIn(await messageText(issued));
    const attacker = freshRun('attacker');
    const unknown = await submit(attacker, '0', randomUUID(), code).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(unknown).toMatchObject({ type: 'invalid_code' });

    // The right code and a wrong one: neither is judged, so neither spends the code or a try.
    for (const [activityId, tried] of [
      ['1', code],
      ['2', wrongCode(code)],
    ] as const) {
      const answer = await submit(attacker, activityId, issued.challengeId, tried).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(answer).toMatchObject({
        type: 'invalid_code',
        message: (unknown as ApplicationFailure).message,
        details: (unknown as ApplicationFailure).details,
      });
    }
    expect(await challengeOf(issued)).toMatchObject({
      attempts: 0,
      consumedAt: null,
      consumedBy: null,
    });

    expect(await submit(victim, '2', issued.challengeId, code)).toEqual({ recipient: email });
  });

  it('verifyOtp takes at most MAX_CODE_ATTEMPTS (10) wrong codes whatever maxAttempts says: the 11th try, even right, is too_many_attempts (NIST SP 800-63B-4 §3.2.2)', async () => {
    expect(MAX_CODE_ATTEMPTS).toBe(10);
    const email = freshAddress('guessed');
    const journeyId = freshRun('guesser');
    const issued = await issue(journeyId, email);
    const code = codeIn(await messageText(issued));
    const guess = (attempt: number, tried: string) =>
      submit(journeyId, `${attempt}`, issued.challengeId, tried, 1_000_000);

    for (let attempt = 1; attempt <= MAX_CODE_ATTEMPTS; attempt += 1) {
      const attemptsLeft = MAX_CODE_ATTEMPTS - attempt;
      await expect(guess(attempt, wrongCode(code))).rejects.toMatchObject({
        type: attemptsLeft === 0 ? 'too_many_attempts' : 'invalid_code',
        details: [{ attemptsLeft }],
      });
    }
    await expect(guess(MAX_CODE_ATTEMPTS + 1, code)).rejects.toMatchObject({
      type: 'too_many_attempts',
    });
    expect(await challengeOf(issued)).toMatchObject({
      attempts: MAX_CODE_ATTEMPTS,
      consumedAt: null,
    });
  });

  it('issueOtp sends a code of MIN_CODE_DIGITS (6) digits even when the policy asks for one (NIST SP 800-63B-4)', async () => {
    expect(MIN_CODE_DIGITS).toBe(6);
    const email = freshAddress('short');
    const journeyId = freshRun('short_code');
    const issued = await issue(journeyId, email, { ...codePolicy, digits: 1 });

    // The code sits alone on its indented line (templates/registration-code/en/text.hbs).
    const [, code] = /^ {4}(\d+)$/m.exec(await messageText(issued)) ?? [];
    expect(code).toMatch(/^\d{6}$/);
    expect(await submit(journeyId, '2', issued.challengeId, code as string)).toEqual({
      recipient: email,
    });
  });

  it("verifyPasskey naming another run: run_refused, that run's challenge left unused, and it still signs in with it", async () => {
    const origin = RP.origins[0] as string;
    const authenticator = createSoftAuthenticator();
    const { userId } = await seedAccount({ totp: false });
    const enrolment = freshRun('enrol');
    const session = await grantedSession(userId, enrolment, 1);
    const { options: creationOptions } = await asCall(enrolment, '1').run(
      activities.beginPasskeyRegistration,
      { journeyId: enrolment, session },
    );
    await asCall(enrolment, '2').run(activities.finishPasskeyRegistration, {
      journeyId: enrolment,
      session,
      credential: authenticator.register({ creationOptions, origin }),
    });

    const signIn = freshRun('sign_in');
    const { options } = await asCall(signIn, '1').run(activities.beginPasskeySignIn, {
      journeyId: signIn,
    });
    // An assertion the owner made for the sign-in run's challenge, replayed by another run.
    const credential = authenticator.authenticate({ requestOptions: options, origin });
    await expect(
      asCall(freshRun('attacker'), '1').run(activities.verifyPasskey, {
        journeyId: signIn,
        credential,
      }),
    ).rejects.toMatchObject(runRefused);

    expect(await prisma.webauthnChallenge.findMany({ where: { journeyId: signIn } })).toEqual([
      expect.objectContaining({ purpose: 'authentication', usedAt: null }),
    ]);
    expect(
      await asCall(signIn, '2').run(activities.verifyPasskey, { journeyId: signIn, credential }),
    ).toEqual({ userId, userVerified: true });
  });

  describe("recovery codes: one run cannot take another's set", () => {
    /** An account whose own run issued it a set of recovery codes. */
    async function issuedSet() {
      const { userId } = await seedAccount();
      const owner = freshRun('codes_owner');
      const set = await asCall(owner, '1').run(activities.issueRecoveryCodes, {
        journeyId: owner,
        session: await grantedSession(userId, owner),
      });
      return { userId, owner, set };
    }
    const codesOf = (userId: string) =>
      prisma.credential.findMany({
        where: { userId, type: 'recovery_code' },
        orderBy: { id: 'asc' },
      });
    const shown = (set: { codes: Array<{ $secret: Parameters<Vault['reveal']>[0] }> }) =>
      Promise.all(set.codes.map(({ $secret }) => vault.reveal($secret)));

    it("issueRecoveryCodes naming another run: run_refused, that run's set not handed out, no set written", async () => {
      const victim = await issuedSet();
      const before = await codesOf(victim.userId);
      expect(before).toHaveLength(victim.set.count);
      const attacker = await seedAccount();
      const attackerRun = freshRun('attacker');

      // Without the check, the call would find the victim's set in its reveal slots and return it.
      await expect(
        asCall(attackerRun, '1').run(activities.issueRecoveryCodes, {
          journeyId: victim.owner,
          session: await grantedSession(attacker.userId, attackerRun),
        }),
      ).rejects.toMatchObject(runRefused);

      expect(await codesOf(victim.userId)).toEqual(before);
      expect(await codesOf(attacker.userId)).toEqual([]);
    });

    it("forgetRecoveryCodes naming another run: run_refused, that run's set still shown", async () => {
      const victim = await issuedSet();
      const shownBefore = await shown(victim.set);
      for (const code of shownBefore) expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

      await expect(
        asCall(freshRun('attacker'), '1').run(activities.forgetRecoveryCodes, {
          journeyId: victim.owner,
        }),
      ).rejects.toMatchObject(runRefused);

      expect(await shown(victim.set)).toEqual(shownBefore);
    });
  });

  it("recordSubscription naming another run: run_refused, that run's subscription unchanged and none added", async () => {
    const list = 'newsletter';
    const subscribed = freshAddress('reader');
    const other = freshAddress('someone-else');
    const owner = freshRun('subscribed');
    await asCall(owner, '1').run(activities.recordSubscription, {
      journeyId: owner,
      list,
      address: subscribed,
      policyVersion: '2026-01',
    });
    const rows = () =>
      prisma.subscription.findMany({ where: { list, address: { in: [subscribed, other] } } });
    const before = await rows();
    expect(before).toEqual([expect.objectContaining({ address: subscribed, journeyId: owner })]);

    const attacker = freshRun('attacker');
    for (const [activityId, address] of [
      ['1', subscribed],
      ['2', other],
    ] as const) {
      await expect(
        asCall(attacker, activityId).run(activities.recordSubscription, {
          journeyId: owner,
          list,
          address,
          policyVersion: '2026-02',
        }),
      ).rejects.toMatchObject(runRefused);
    }

    expect(await rows()).toEqual(before);
  });
});

describe('a local activity run again after a failed workflow task (Temporal runs them at least once)', () => {
  it("enrolPhone, run twice by one run whose session must be at the account's level, enrols the phone once and succeeds both times", async () => {
    const { userId } = await seedAccount({ totp: false });
    const run = freshRun('phone');
    const row = await prisma.session.create({
      data: {
        userId,
        tokenHash: randomUUID(),
        aal: 1,
        amr: ['pwd'],
        authTime: clock.at,
        expiresAt: later(DAY),
        lastSeenAt: clock.at,
      },
    });
    // As mfa-enrolment starts: held to the account's highest level, which is 1 before the phone.
    const session = grants.sign(sessionRefOf(row), {
      run,
      journey: 'mfa-enrolment@1',
      notAfter: later(HOUR).toISOString(),
      demand: { accountAal: true },
    });
    // The code texted to the number, proven in this run.
    const challenge = await prisma.otpChallenge.create({
      data: {
        idempotencyKey: randomUUID(),
        journeyId: run,
        purpose: PHONE_ENROLMENT_PURPOSE,
        channel: 'sms',
        recipient: '+33612345678',
        expiresAt: later(MINUTE),
        consumedAt: clock.at,
        consumedBy: `${run}:3`,
      },
    });
    const enrol = () =>
      asCall(run, '4').run(activities.enrolPhone, {
        journeyId: run,
        session,
        challengeId: challenge.id,
      });
    const first = await enrol();
    // Without `enrolledBy`, the phone it just enrolled made the account aal 2, and this run's
    // aal 1 session was refused (session_required): the run failed where it had succeeded.
    expect(await enrol()).toEqual(first);
    expect(await prisma.credential.count({ where: { userId, type: 'sms' } })).toBe(1);
  });
});

describe('an erasure is completed only by the run that asked for it, and only once due (GDPR Art. 17)', () => {
  it("completeErasure handed another run's erasure id gets run_refused, and erases nothing", async () => {
    const { userId } = await seedAccount({ totp: false });
    const victimRun = freshRun('erasure');
    const erasure = await prisma.erasure.create({
      data: { userId, journeyId: victimRun, requestedAt: clock.at, dueAt: later(MINUTE) },
    });
    clock.at = later(HOUR);
    // Without the check, any run (anyone who reaches Temporal) could erase any account at once.
    await expect(
      asCall(freshRun('attacker'), '1').run(activities.completeErasure, {
        erasureId: erasure.id,
      }),
    ).rejects.toMatchObject(runRefused);
    expect(await prisma.user.count({ where: { id: userId } })).toBe(1);
    expect(
      (await prisma.erasure.findUniqueOrThrow({ where: { id: erasure.id } })).completedAt,
    ).toBeNull();
  });

  it('completeErasure by its own run before the erasure is due erases nothing (retried until due)', async () => {
    const { userId } = await seedAccount({ totp: false });
    const run = freshRun('early');
    const erasure = await prisma.erasure.create({
      data: { userId, journeyId: run, requestedAt: clock.at, dueAt: later(DAY) },
    });
    await expect(
      asCall(run, '1').run(activities.completeErasure, { erasureId: erasure.id }),
    ).rejects.toThrow(/not due/);
    expect(await prisma.user.count({ where: { id: userId } })).toBe(1);
    clock.at = later(DAY);
    expect(
      await asCall(run, '2').run(activities.completeErasure, { erasureId: erasure.id }),
    ).toEqual({ status: 'completed' });
    expect(await prisma.user.count({ where: { id: userId } })).toBe(0);
  });
});
