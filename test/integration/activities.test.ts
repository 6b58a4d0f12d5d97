import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Activities, createActivities } from '../../src/activities/index.js';
import { createOutbox } from '../../src/activities/messages.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { createEmailRenderer } from '../../src/email/render.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { createVault, type Vault } from '../../src/security/vault.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { codeIn } from '../support/http.js';

/*
 * Activities run again when Temporal retries them or a worker dies before their result is
 * recorded. The same call (same workflow, same activity id) must then have the same effect once.
 */

let db: TestDatabase;
let prisma: PrismaClient;
let vault: Vault;
let activities: Activities;
const keyring = createKeyring(generateKeySpec('test'));
const outbox = createOutbox({ keyring });

/** Runs an activity as Temporal would for one call of one journey run: retries keep the same ids. */
const asCall = (journeyId: string, activityId: string) => {
  const environment = new MockActivityEnvironment({
    activityId,
    workflowExecution: { workflowId: journeyId, runId: 'run' },
  } as never);
  return {
    run: <I, O>(activity: (input: I) => Promise<O>, input: I) =>
      environment.run(activity, input) as Promise<O>,
  };
};

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { max: 3 });
  vault = createVault(prisma, keyring);
  activities = createActivities({
    prisma,
    keyring,
    vault,
    renderEmail: createEmailRenderer().render,
    productName: 'Parcours',
    sessionTtlMs: 3_600_000,
    emailCodesPerAddressPerHour: 10,
  });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

async function issue(journeyId: string, email: string) {
  const call = asCall(journeyId, '1');
  const input = {
    journeyId,
    email,
    purpose: 'registration',
    ttlMs: 600_000,
    resendCooldownMs: 30_000,
  };
  return {
    issued: await call.run(activities.issueEmailCode, input),
    again: await call.run(activities.issueEmailCode, input),
  };
}

async function codeOf(messageId: string): Promise<string> {
  const message = await prisma.outboundMessage.findUniqueOrThrow({ where: { id: messageId } });
  return codeIn(outbox.open(message)?.text ?? '');
}

describe('activities under retry', () => {
  it('issues one code and one email when issueEmailCode runs twice for the same call', async () => {
    const { issued, again } = await issue('jrn_issue', 'retry@example.com');
    expect(again).toEqual(issued);
    expect(await prisma.emailChallenge.count({ where: { journeyId: 'jrn_issue' } })).toBe(1);
    expect(await prisma.outboundMessage.count({ where: { journeyId: 'jrn_issue' } })).toBe(1);
  });

  it('answers a retried successful code check with success, but refuses the same code to any other call (single use)', async () => {
    const { issued } = await issue('jrn_verify', 'verify@example.com');
    const code = await vault.put({
      purpose: 'test',
      value: await codeOf(issued.messageId),
      ttlMs: 60_000,
    });
    const check = { challengeId: issued.challengeId, code, maxAttempts: 5 };
    const call = asCall('jrn_verify', '2');
    expect(await call.run(activities.verifyEmailCode, check)).toEqual({
      email: 'verify@example.com',
    });
    expect(await call.run(activities.verifyEmailCode, check)).toEqual({
      email: 'verify@example.com',
    });

    const replay = asCall('jrn_verify', '3').run(activities.verifyEmailCode, check);
    await expect(replay).rejects.toMatchObject({ type: 'code_used', nonRetryable: true });
    // Once consumed, the code is gone from the vault too.
    expect(await vault.reveal(code)).toBeUndefined();
  });

  it('creates one user when createUser runs twice for the same journey', async () => {
    const input = {
      journeyId: 'jrn_user',
      email: 'once@example.com',
      passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y',
      termsVersion: '2026-11-01',
    };
    const first = await asCall('jrn_user', '4').run(activities.createUser, input);
    const second = await asCall('jrn_user', '4').run(activities.createUser, input);
    expect(second).toEqual(first);
    expect(await prisma.identifier.count({ where: { value: 'once@example.com' } })).toBe(1);
    expect(await prisma.consentRecord.count({ where: { userId: first.userId } })).toBe(1);
  });

  it('refuses a second account for an address another journey registered (email_taken)', async () => {
    const input = {
      journeyId: 'jrn_first',
      email: 'taken@example.com',
      passwordHash: '$argon2id$x',
      termsVersion: '2026-11-01',
    };
    await asCall('jrn_first', '4').run(activities.createUser, input);
    const second = asCall('jrn_second', '4').run(activities.createUser, {
      ...input,
      journeyId: 'jrn_second',
    });
    await expect(second).rejects.toMatchObject({ type: 'email_taken', nonRetryable: true });
  });

  it('keeps one session per journey when createSession is retried, handing off only the latest token', async () => {
    const { userId } = await asCall('jrn_session', '4').run(activities.createUser, {
      journeyId: 'jrn_session',
      email: 'session@example.com',
      passwordHash: '$argon2id$x',
      termsVersion: '2026-11-01',
    });
    const input = { journeyId: 'jrn_session', userId, aal: 1, amr: ['pwd'] };
    const first = await asCall('jrn_session', '5').run(activities.createSession, input);
    const firstToken = await vault.reveal(first.token.$secret);
    const second = await asCall('jrn_session', '5').run(activities.createSession, input);
    expect(second.id).toBe(first.id);
    expect(second.token).toEqual(first.token);
    const token = await vault.take(second.token.$secret);
    expect(token).not.toBe(firstToken);
    expect(await prisma.session.count({ where: { userId } })).toBe(1);
  });

  it('does not send a message twice (deliverMessage is idempotent)', async () => {
    const sent: string[] = [];
    const withSmtp = createActivities({
      prisma,
      keyring,
      vault,
      renderEmail: createEmailRenderer().render,
      sendEmail: async (email) => {
        sent.push(email.to);
        return { messageId: `<${sent.length}@test>` };
      },
      productName: 'Parcours',
      sessionTtlMs: 3_600_000,
      emailCodesPerAddressPerHour: 10,
    });
    const { issued } = await issue('jrn_deliver', 'deliver@example.com');
    const call = asCall('jrn_deliver', '6');
    await call.run(withSmtp.deliverMessage, { messageId: issued.messageId });
    await call.run(withSmtp.deliverMessage, { messageId: issued.messageId });
    expect(sent).toEqual(['deliver@example.com']);
    // Delivered mail holds a code: its content is wiped once the SMTP server has it.
    expect(
      (await prisma.outboundMessage.findUniqueOrThrow({ where: { id: issued.messageId } }))
        .sealedContent,
    ).toBeNull();
  });
});

describe('the vault', () => {
  it('hands a secret to exactly one of several concurrent takers, then to no one', async () => {
    const ref = await vault.put({ purpose: 'test', value: 'shown once', ttlMs: 60_000 });
    const takes = await Promise.all(Array.from({ length: 5 }, () => vault.take(ref)));
    expect(takes.filter((value) => value === 'shown once')).toHaveLength(1);
    expect(takes.filter((value) => value === undefined)).toHaveLength(4);
    expect(await vault.reveal(ref)).toBeUndefined();
  });

  it('takes nothing from an expired reference, and removes it', async () => {
    const ref = await vault.put({ purpose: 'test', value: 'too late', ttlMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await vault.take(ref)).toBeUndefined();
    expect(await prisma.secretRef.count({ where: { id: ref } })).toBe(0);
  });
});
