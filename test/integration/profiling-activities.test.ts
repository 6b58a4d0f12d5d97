import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Activities, createActivities } from '../../src/activities/index.js';
import { appInput, createAppRegistry } from '../../src/apps/app-registry.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { createVault } from '../../src/security/vault.js';
import { createSessionGrants } from '../../src/sessions/session-grant.js';
import type { SessionRef } from '../../src/sessions/session-ref.js';
import { sessionRefOf } from '../../src/sessions/session-store.js';
import { asCall, testActivityDefaults } from '../support/activity-call.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/*
 * Progressive profiling and phone verification act for a signed-in customer: every call re-checks
 * the run's session (trust boundary 1), writes only what the catalogue lets the customer write, and
 * has its effect once however often Temporal retries it. Time is a simulated clock: nothing sleeps.
 */

let db: TestDatabase;
let prisma: PrismaClient;
let activities: Activities;
const keyring = createKeyring(generateKeySpec('test'));
const grants = createSessionGrants(keyring);

const START = new Date('2026-03-02T09:00:00.000Z');
/** The clock every activity reads; a test moves it instead of waiting. */
const clock = { at: START };
const later = (ms: number) => new Date(clock.at.getTime() + ms);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The skip delay of the apps below (ask_again_after_seconds). */
const ASK_AGAIN_AFTER_SECONDS = 3_600;

/** Declared by the operator: the customer reads it, only the operator writes it. */
const OPERATOR_ONLY = 'support_tier';
const PHONE = '+33612345678';

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { max: 3 });
  activities = createActivities({
    prisma,
    keyring,
    vault: createVault(prisma, keyring),
    ...testActivityDefaults,
    now: () => clock.at,
  });
  await prisma.attributeDefinition.create({
    data: {
      name: OPERATOR_ONLY,
      schema: { enum: ['basic', 'premium'] },
      readers: ['customer', 'operator'],
      writers: ['operator'],
    },
  });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});
beforeEach(() => {
  clock.at = START;
});

let runs = 0;
/** A journey run id no other test uses. */
const freshRun = (name: string) => {
  runs += 1;
  return `jrn_${name}_${runs}`;
};
let apps = 0;
/** Registers an app asking `questions` (ask_again_after_seconds: an hour); answers its client id. */
async function registerApp(
  questions: Array<{ attribute: string; at_sign_in: number }>,
): Promise<string> {
  apps += 1;
  const id = `app-${apps}`;
  const added = await createAppRegistry(prisma).add(
    appInput.parse({
      id,
      name: `App ${apps}`,
      kind: 'first_party',
      profiling: { questions, ask_again_after_seconds: ASK_AGAIN_AFTER_SECONDS },
    }),
  );
  expect(added).not.toBe('exists');
  return id;
}

/** A customer who has signed in once through the app `clientId` (its questions at_sign_in 1 are due). */
async function customerOf(clientId: string): Promise<string> {
  const { id } = await prisma.user.create({ data: {} });
  await prisma.appSignIn.create({
    data: { userId: id, appId: clientId, signIns: 1, lastAt: clock.at },
  });
  return id;
}

type SessionRow = Awaited<ReturnType<PrismaClient['session']['create']>>;

/** A password session of the customer, signed in at `authTime` (now by default), used just now. */
const openSession = (userId: string, authTime = clock.at) =>
  prisma.session.create({
    data: {
      userId,
      tokenHash: randomUUID(),
      aal: 1,
      amr: ['pwd'],
      authTime,
      factorAuthTimes: { pwd: authTime.toISOString() },
      expiresAt: later(30 * DAY),
      lastSeenAt: clock.at,
    },
  });

/**
 * The session's reference as the step API hands it to the run `run` when it starts: signed for
 * that run for an hour of the simulated clock (grantedSession's hour runs on the wall clock).
 */
const grantFor = (session: SessionRow, run: string): SessionRef =>
  grants.sign(sessionRefOf(session), {
    run,
    journey: 'progressive-profiling@1',
    notAfter: later(HOUR).toISOString(),
    demand: {},
  });

/** One run of progressive profiling in `session`: its calls, each with its own activity id. */
function profilingRun(session: SessionRow, clientId: string) {
  const run = freshRun('profiling');
  const reference = grantFor(session, run);
  return {
    run,
    questions: () =>
      asCall(run, '1').run(activities.profileQuestions, {
        session: reference,
        clientId,
        asked: [],
      }),
    save: (asked: string[], answers: Record<string, unknown>) =>
      asCall(run, '2').run(activities.saveProfileAnswers, {
        session: reference,
        clientId,
        asked,
        answers,
      }),
  };
}

const askedIn = async (run: ReturnType<typeof profilingRun>) =>
  (await run.questions()).questions.map((question) => question.attribute);

/** Everything a submission could leave of a customer: values, audit rows, skips, the run's funnel. */
const storedFor = async (userId: string, run: string) => ({
  values: await prisma.profileValue.findMany({ where: { userId } }),
  changes: await prisma.profileChange.findMany({ where: { userId } }),
  skips: await prisma.profilingSkip.findMany({ where: { userId } }),
  questions: await prisma.profilingQuestion.findMany({ where: { journeyId: run } }),
});

/** The business failure a call ended in: an ApplicationFailure Temporal does not retry. */
async function failureOf(call: Promise<unknown>) {
  const thrown = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(ApplicationFailure);
  const { type, nonRetryable } = thrown as ApplicationFailure;
  return { type, nonRetryable };
}

describe('the skip delay, on the simulated clock', () => {
  it('asks a skipped question in a new session at exactly ask_again_after_seconds after the skip, not 1 ms before', async () => {
    const clientId = await registerApp([{ attribute: 'given_name', at_sign_in: 1 }]);
    const userId = await customerOf(clientId);
    const first = profilingRun(await openSession(userId), clientId);
    expect(await first.questions()).toEqual({
      questions: [
        { attribute: 'given_name', schema: { type: 'string', minLength: 1, maxLength: 100 } },
      ],
    });
    const skippedAt = clock.at;
    expect(await first.save(['given_name'], {})).toEqual({
      answered: [],
      skipped: ['given_name'],
    });

    clock.at = new Date(skippedAt.getTime() + ASK_AGAIN_AFTER_SECONDS * 1000 - 1);
    const next = await openSession(userId);
    expect(await askedIn(profilingRun(next, clientId))).toEqual([]);

    clock.at = new Date(skippedAt.getTime() + ASK_AGAIN_AFTER_SECONDS * 1000);
    expect(await askedIn(profilingRun(next, clientId))).toEqual(['given_name']);
  });

  it('never asks a skipped question again in the session it was skipped in, even long after the delay', async () => {
    const clientId = await registerApp([{ attribute: 'given_name', at_sign_in: 1 }]);
    const userId = await customerOf(clientId);
    const session = await openSession(userId);
    await profilingRun(session, clientId).save(['given_name'], {});

    for (const elapsed of [ASK_AGAIN_AFTER_SECONDS * 1000, 48 * HOUR]) {
      clock.at = new Date(START.getTime() + elapsed);
      expect(await askedIn(profilingRun(session, clientId))).toEqual([]);
    }
    // Another session of the same customer, at the same moment, is asked.
    expect(await askedIn(profilingRun(await openSession(userId), clientId))).toEqual([
      'given_name',
    ]);
  });
});

describe('saveProfileAnswers: only what was asked, only what the customer may write', () => {
  it('refuses an operator-only attribute named in a forged run’s `asked` (attribute_not_writable), storing nothing of the submission', async () => {
    const clientId = await registerApp([{ attribute: 'given_name', at_sign_in: 1 }]);
    const userId = await customerOf(clientId);
    const forged = profilingRun(await openSession(userId), clientId);
    const before = await storedFor(userId, forged.run);

    // Nothing asked it: the run's arguments say it was, and answer it beside a writable one.
    expect(
      await forged.save(['given_name', OPERATOR_ONLY], {
        given_name: 'Grace',
        [OPERATOR_ONLY]: 'premium',
      }),
    ).toEqual({
      rejected: [
        {
          path: `/answers/${OPERATOR_ONLY}`,
          code: 'attribute_not_writable',
          message: expect.any(String),
        },
      ],
      answered: [],
      skipped: [],
    });
    expect(await storedFor(userId, forged.run)).toEqual(before);
  });

  it('refuses an answer to a question not asked (unknown_field at its path), storing nothing', async () => {
    const clientId = await registerApp([
      { attribute: 'given_name', at_sign_in: 1 },
      { attribute: 'family_name', at_sign_in: 1 },
    ]);
    const userId = await customerOf(clientId);
    const run = profilingRun(await openSession(userId), clientId);
    const before = await storedFor(userId, run.run);

    expect(await run.save(['family_name'], { given_name: 'Grace' })).toEqual({
      rejected: [
        { path: '/answers/given_name', code: 'unknown_field', message: expect.any(String) },
      ],
      answered: [],
      skipped: [],
    });
    // Not even the question that was asked is taken as skipped.
    expect(await storedFor(userId, run.run)).toEqual(before);
  });

  it('refuses a phone number from a sign-in older than 15 minutes (reauthentication_required), storing nothing', async () => {
    const clientId = await registerApp([{ attribute: 'phone_number', at_sign_in: 1 }]);
    const userId = await customerOf(clientId);
    const stale = profilingRun(await openSession(userId, later(-15 * MINUTE - 1)), clientId);
    const before = await storedFor(userId, stale.run);

    expect(await stale.save(['phone_number'], { phone_number: '+33 6 12 34 56 78' })).toEqual({
      rejected: [
        {
          path: '/answers/phone_number',
          code: 'reauthentication_required',
          message: expect.any(String),
        },
      ],
      answered: [],
      skipped: [],
    });
    expect(await storedFor(userId, stale.run)).toEqual(before);
  });

  it('stores a phone number from a fresh sign-in in E.164, unverified', async () => {
    const clientId = await registerApp([{ attribute: 'phone_number', at_sign_in: 1 }]);
    const userId = await customerOf(clientId);
    const fresh = profilingRun(await openSession(userId), clientId);

    expect(await fresh.save(['phone_number'], { phone_number: '+33 6 12 34 56 78' })).toEqual({
      answered: ['phone_number'],
      skipped: [],
    });
    expect(await prisma.profileValue.findMany({ where: { userId } })).toEqual([
      expect.objectContaining({
        attribute: 'phone_number',
        value: PHONE,
        source: `journey:${fresh.run}`,
        verifiedAt: null,
      }),
    ]);
  });
});

describe('trust boundary 1: a run acts only for the live session granted to it', () => {
  it.each([
    [
      'a session grant signed for another run',
      async (session: SessionRow, run: string) => ({
        reference: grantFor(session, `${run}_elsewhere`),
      }),
    ],
    [
      'a session logged out since',
      async (session: SessionRow, run: string) => {
        const reference = grantFor(session, run);
        await prisma.session.update({ where: { id: session.id }, data: { revokedAt: clock.at } });
        return { reference };
      },
    ],
  ])(
    'refuses %s (session_required) in profileQuestions and saveProfileAnswers',
    async (_case, refer) => {
      const clientId = await registerApp([{ attribute: 'given_name', at_sign_in: 1 }]);
      const userId = await customerOf(clientId);
      const session = await openSession(userId);
      const run = freshRun('refused');
      const { reference } = await refer(session, run);
      const before = await storedFor(userId, run);

      expect(
        await failureOf(
          asCall(run, '1').run(activities.profileQuestions, {
            session: reference,
            clientId,
            asked: [],
          }),
        ),
      ).toEqual({ type: 'session_required', nonRetryable: true });
      expect(
        await failureOf(
          asCall(run, '2').run(activities.saveProfileAnswers, {
            session: reference,
            clientId,
            asked: ['given_name'],
            answers: { given_name: 'Grace' },
          }),
        ),
      ).toEqual({ type: 'session_required', nonRetryable: true });
      expect(await storedFor(userId, run)).toEqual(before);
    },
  );
});

describe('retried calls have their effect once', () => {
  it('records each asked attribute once per run, then its outcome; a retry changes nothing more', async () => {
    const clientId = await registerApp([
      { attribute: 'given_name', at_sign_in: 1 },
      { attribute: 'family_name', at_sign_in: 1 },
    ]);
    const userId = await customerOf(clientId);
    const run = profilingRun(await openSession(userId), clientId);
    const funnel = () =>
      prisma.profilingQuestion.findMany({
        where: { journeyId: run.run },
        orderBy: { attribute: 'asc' },
      });

    const askedAt = clock.at;
    const asked = await run.questions();
    clock.at = later(5_000);
    expect(await run.questions()).toEqual(asked);
    expect(await funnel()).toEqual(
      ['family_name', 'given_name'].map((attribute) => ({
        journeyId: run.run,
        attribute,
        appId: clientId,
        askedAt,
        outcome: null,
        answeredAt: null,
      })),
    );

    const answeredAt = clock.at;
    const saved = await run.save(['given_name', 'family_name'], { given_name: 'Grace' });
    expect(saved).toEqual({ answered: ['given_name'], skipped: ['family_name'] });
    const after = await storedFor(userId, run.run);
    expect(after.questions.map(({ attribute, outcome }) => [attribute, outcome]).sort()).toEqual([
      ['family_name', 'skipped'],
      ['given_name', 'answered'],
    ]);
    expect(after.questions.map((question) => question.answeredAt)).toEqual([
      answeredAt,
      answeredAt,
    ]);
    expect(after.changes).toEqual([
      expect.objectContaining({ actor: 'journey', actorId: run.run, attributes: ['given_name'] }),
    ]);

    // Temporal runs the save again (same run, same activity id): its result was never recorded.
    clock.at = later(5_000);
    expect(await run.save(['given_name', 'family_name'], { given_name: 'Grace' })).toEqual(saved);
    // Everything as the first call left it, the skip's time included: the delay counts from the
    // customer's skip, not from Temporal's retry.
    expect(await storedFor(userId, run.run)).toEqual(after);
  });
});

describe('createSession through a registered app', () => {
  const signIn = (journeyId: string, userId: string, clientId: string) =>
    asCall(journeyId, '5').run(activities.createSession, {
      journeyId,
      userId,
      aal: 1,
      amr: ['pwd'],
      clientId,
    });
  const signInsOf = async (userId: string) =>
    (await prisma.appSignIn.findMany({ where: { userId } })).map(({ appId, signIns }) => ({
      appId,
      signIns,
    }));

  it('counts one sign-in for a retried call, and stores the app on the session', async () => {
    const clientId = await registerApp([{ attribute: 'given_name', at_sign_in: 3 }]);
    const { id: userId } = await prisma.user.create({ data: {} });
    const run = freshRun('sign_in');

    const issued = await signIn(run, userId, clientId);
    expect(await signIn(run, userId, clientId)).toMatchObject({ id: issued.id });
    expect(await signInsOf(userId)).toEqual([{ appId: clientId, signIns: 1 }]);
    expect(
      await prisma.session.findMany({ where: { userId }, select: { id: true, clientId: true } }),
    ).toEqual([{ id: issued.id, clientId }]);
  });

  it('stores no app and counts nothing for an unknown client id', async () => {
    const { id: userId } = await prisma.user.create({ data: {} });
    const issued = await signIn(freshRun('unknown_app'), userId, 'no-such-app');

    expect(issued.continueWith).toBeUndefined();
    expect(await signInsOf(userId)).toEqual([]);
    expect(
      (await prisma.session.findUniqueOrThrow({ where: { id: issued.id } })).clientId,
    ).toBeNull();
  });

  it('continues with progressive profiling from the app’s at_sign_in count on, and not before', async () => {
    const clientId = await registerApp([{ attribute: 'given_name', at_sign_in: 2 }]);
    const { id: userId } = await prisma.user.create({ data: {} });

    expect((await signIn(freshRun('first'), userId, clientId)).continueWith).toBeUndefined();
    expect((await signIn(freshRun('second'), userId, clientId)).continueWith).toEqual({
      journey: 'progressive-profiling',
      start: { client_id: clientId },
    });
    expect(await signInsOf(userId)).toEqual([{ appId: clientId, signIns: 2 }]);
  });
});

describe('setVerifiedPhone: only a number this run proved by a texted code', () => {
  /** The run's customer, with a fresh session granted to it. */
  async function phoneRun() {
    const run = freshRun('phone');
    const { id: userId } = await prisma.user.create({ data: {} });
    const session = await openSession(userId);
    return { run, userId, reference: grantFor(session, run) };
  }
  /** An sms challenge to PHONE, issued to the run `run` and entered in it (unless overridden). */
  const challengeOf = (run: string, overrides: Record<string, unknown> = {}) =>
    prisma.otpChallenge.create({
      data: {
        idempotencyKey: randomUUID(),
        journeyId: run,
        purpose: 'phone-verification',
        channel: 'sms',
        recipient: PHONE,
        codeHash: 'x',
        expiresAt: later(10 * MINUTE),
        consumedAt: clock.at,
        consumedBy: `${run}:2`,
        ...overrides,
      },
    });
  const setPhone = (run: string, reference: SessionRef, challengeId: string) =>
    asCall(run, '3').run(activities.setVerifiedPhone, {
      session: reference,
      challengeId,
    });
  const phoneOf = async (userId: string) => ({
    values: await prisma.profileValue.findMany({ where: { userId } }),
    changes: await prisma.profileChange.findMany({ where: { userId } }),
  });

  it.each([
    [
      'a challenge of another run, entered there',
      () => {
        const other = freshRun('other');
        return { journeyId: other, consumedBy: `${other}:2` };
      },
    ],
    ['a challenge of this run never entered', () => ({ consumedAt: null, consumedBy: null })],
    [
      'a challenge of this run entered in another run',
      () => ({ consumedBy: `${freshRun('elsewhere')}:2` }),
    ],
    [
      'a challenge of this run for another purpose (phone-enrolment)',
      () => ({ purpose: 'phone-enrolment' }),
    ],
  ])('refuses %s (invalid_code), storing nothing', async (_case, overrides) => {
    const { run, userId, reference } = await phoneRun();
    const challenge = await challengeOf(run, overrides());

    expect(await failureOf(setPhone(run, reference, challenge.id))).toEqual({
      type: 'invalid_code',
      nonRetryable: true,
    });
    expect(await phoneOf(userId)).toEqual({ values: [], changes: [] });
  });

  it('writes the number this run proved as verified, with one audit row, once however often retried', async () => {
    const { run, userId, reference } = await phoneRun();
    const challenge = await challengeOf(run);
    const verifiedAt = clock.at;

    expect(await setPhone(run, reference, challenge.id)).toEqual({ changed: true });
    const written = await phoneOf(userId);
    expect(written).toEqual({
      values: [
        expect.objectContaining({
          attribute: 'phone_number',
          value: PHONE,
          source: `journey:${run}`,
          verifiedAt,
        }),
      ],
      changes: [
        expect.objectContaining({
          actor: 'journey',
          actorId: run,
          attributes: ['phone_number', 'phone_number_verified'],
          at: verifiedAt,
        }),
      ],
    });

    clock.at = later(5_000);
    expect(await setPhone(run, reference, challenge.id)).toEqual({ changed: false });
    expect(await phoneOf(userId)).toEqual(written);
  });
});
