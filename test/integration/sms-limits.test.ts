import { randomUUID } from 'node:crypto';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import type { OtpPolicy } from '../../src/activities/otp/otp.js';
import type { SmsLimits } from '../../src/activities/otp/sms-limits.js';
import { createMessageRenderer } from '../../src/channels/render.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { joinPseudonyms } from '../../src/security/pseudonyms.js';
import { createVault, type Vault } from '../../src/security/vault.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/*
 * SMS pumping defences (OWASP: SMS pumping): text messages go only to mobile numbers of the
 * allowed countries, within hourly limits per number, per number range (prefix), per country and
 * per requester, and within a daily budget. Every refusal sends nothing and writes nothing.
 * The limits count what the database holds, so every test starts from empty tables, and each runs
 * on its own clock (the activities' `now`), which makes every retryAt exact.
 */

let db: TestDatabase;
let prisma: PrismaClient;
let vault: Vault;
const keyring = createKeyring(generateKeySpec('test'));

beforeAll(async () => {
  db = await createTestDatabase();
  // Enough connections for the concurrent test: each waiting transaction holds one.
  prisma = createPrisma(db.url, { max: 8 });
  vault = createVault(prisma, keyring);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});
beforeEach(async () => {
  await prisma.otpChallenge.deleteMany({});
  await prisma.outboundMessage.deleteMany({});
});

const LIMITS: SmsLimits = {
  countries: ['FR', 'GB'],
  perNumberPerHour: 2,
  perPrefixPerHour: 3,
  perCountryPerHour: 4,
  perRequesterPerHour: 2,
  dailyBudget: 6,
};

const smsPolicy: OtpPolicy = {
  purpose: 'phone-verification',
  channel: 'sms',
  digits: 6,
  ttlMs: 300_000,
  resendCooldownMs: 30_000,
  template: 'phone-verification-code',
};

interface LogLine {
  level: LogLevel;
  message: string;
  meta?: LogMetadata;
}

/** A logger keeping what activities log, for the assertions. */
function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) =>
    void lines.push({ level, message, ...(meta ? { meta } : {}) });
  return {
    lines,
    logger: {
      log: (level, message, meta) => void lines.push({ level, message, ...(meta ? { meta } : {}) }),
      trace: at('TRACE'),
      debug: at('DEBUG'),
      info: at('INFO'),
      warn: at('WARN'),
      error: at('ERROR'),
    },
  };
}

/**
 * The activities with SMS limits of their own (LIMITS unless `limits` says otherwise), on a clock
 * the test moves. `issue` makes one issueOtp call as a journey run would (a run of its own each
 * time), from `requester` (a pseudonym, or several joined) when given.
 */
function smsActivities(
  options: { limits?: Partial<SmsLimits> | null; start?: string; codesPerRecipient?: number } = {},
) {
  const clock = { at: new Date(options.start ?? '2026-12-07T10:00:00.000Z') };
  const { logger, lines } = capturingLogger();
  const activities = createActivities({
    prisma,
    keyring,
    vault,
    renderMessage: createMessageRenderer().render,
    productName: 'Parcours',
    sessionTtlMs: 3_600_000,
    codesPerRecipientPerHour: options.codesPerRecipient ?? 100,
    codesPerRequesterPerHour: 100,
    ...(options.limits === null ? {} : { smsLimits: { ...LIMITS, ...options.limits } }),
    now: () => clock.at,
  });
  const issue = (
    recipient: string,
    requester?: string,
    policy: OtpPolicy = smsPolicy,
    journeyId = `jrn_${randomUUID()}`,
  ) => {
    const environment = new MockActivityEnvironment(
      { activityId: '1', workflowExecution: { workflowId: journeyId, runId: 'run' } } as never,
      { logger },
    );
    return environment.run(activities.issueOtp, {
      journeyId,
      recipient,
      policy,
      ...(requester ? { requester } : {}),
    });
  };
  return {
    issue,
    logs: lines,
    /** Moves the clock to an instant of the test's day, or by some minutes. */
    at: (iso: string) => {
      clock.at = new Date(iso);
    },
    later: (minutes: number) => {
      clock.at = new Date(clock.at.getTime() + minutes * 60_000);
    },
  };
}

/** What was written for a number: challenges and messages. */
async function writtenFor(recipient: string) {
  const [challenges, messages] = await Promise.all([
    prisma.otpChallenge.count({ where: { recipient } }),
    prisma.outboundMessage.count({ where: { recipient } }),
  ]);
  return { challenges, messages };
}

const nothing = { challenges: 0, messages: 0 };

describe('SMS pumping defences', () => {
  it('refuses a number of a country outside the allow-list (phone_country_not_allowed), writing nothing', async () => {
    const sms = smsActivities();
    // A German mobile and a US number that may be one: valid, textable, of no allowed country.
    for (const number of ['+4915123456789', '+12015550123']) {
      await expect(sms.issue(number)).rejects.toMatchObject({
        type: 'phone_country_not_allowed',
        nonRetryable: true,
      });
      expect(await writtenFor(number)).toEqual(nothing);
    }
    expect(await prisma.otpChallenge.count()).toBe(0);
    expect(await prisma.outboundMessage.count()).toBe(0);
    // An allowed country's mobile gets its code.
    await sms.issue('+33612345678');
    expect(await writtenFor('+33612345678')).toEqual({ challenges: 1, messages: 1 });
  });

  it('sends no text message at all without SMS limits configured (deny by default)', async () => {
    const sms = smsActivities({ limits: null });
    await expect(sms.issue('+33612345678')).rejects.toMatchObject({
      type: 'phone_country_not_allowed',
    });
    expect(await writtenFor('+33612345678')).toEqual(nothing);
  });

  it('refuses a premium-rate, toll-free or fixed-line number (phone_type_refused) before writing anything', async () => {
    const sms = smsActivities();
    for (const [number, stored] of [
      ['+33 8 99 12 34 56', '+33899123456'],
      ['+33 1 23 45 67 89', '+33123456789'],
      ['+33 8 00 12 34 56', '+33800123456'],
    ] as const) {
      await expect(sms.issue(number)).rejects.toMatchObject({
        type: 'phone_type_refused',
        nonRetryable: true,
      });
      expect(await writtenFor(stored)).toEqual(nothing);
    }
    expect(await prisma.otpChallenge.count()).toBe(0);
    expect(await prisma.outboundMessage.count()).toBe(0);
  });

  it('refuses a number its (limit+1)th code within the hour (sms_limited), until an hour after the first one counted, writing nothing; another number still gets its code', async () => {
    const sms = smsActivities();
    await sms.issue('+33612345678');
    sms.later(20);
    await sms.issue('+33612345678');
    sms.later(20);
    const refused = sms.issue('+33612345678', undefined, smsPolicy, 'jrn_number_refused');
    await expect(refused).rejects.toMatchObject({
      type: 'sms_limited',
      nonRetryable: true,
      details: [{ retryAt: '2026-12-07T11:00:00.000Z' }],
    });
    expect(await prisma.otpChallenge.count({ where: { journeyId: 'jrn_number_refused' } })).toBe(0);
    expect(await prisma.outboundMessage.count({ where: { journeyId: 'jrn_number_refused' } })).toBe(
      0,
    );
    expect(await writtenFor('+33612345678')).toEqual({ challenges: 2, messages: 2 });

    await sms.issue('+33798765432');
    expect(await writtenFor('+33798765432')).toEqual({ challenges: 1, messages: 1 });
    // Once the first code is more than an hour old, the number gets one again.
    sms.at('2026-12-07T11:01:00.000Z');
    await sms.issue('+33612345678');
    expect(await writtenFor('+33612345678')).toEqual({ challenges: 3, messages: 3 });
  });

  it('answers a retried call that queued its code with that code, not a refusal: the call does not count itself', async () => {
    const sms = smsActivities();
    await sms.issue('+33611112222');
    const first = await sms.issue('+33611112222', undefined, smsPolicy, 'jrn_retried');
    // The same call again (same run, same activity id), as Temporal retries it after a crash.
    const retried = await sms.issue('+33611112222', undefined, smsPolicy, 'jrn_retried');
    expect(retried).toEqual(first);
    expect(await writtenFor('+33611112222')).toEqual({ challenges: 2, messages: 2 });
  });

  it('counts a number as one however it is written (+33 (0)6…, +33 6…): stored and sent in E.164', async () => {
    const sms = smsActivities();
    await sms.issue('+33 (0)6 11 11 33 33');
    await sms.issue('+33 6 11 11 33 33');
    await expect(sms.issue('+33.6.11.11.33.33')).rejects.toMatchObject({ type: 'sms_limited' });
    expect(await writtenFor('+33611113333')).toEqual({ challenges: 2, messages: 2 });
  });

  it('counts numbers sharing all but their last four digits as one range: refused at the prefix limit, another range unaffected', async () => {
    const sms = smsActivities();
    await sms.issue('+33612340001');
    sms.later(10);
    await sms.issue('+33 6 12 34 00 02');
    await sms.issue('+33612349999');
    sms.later(10);
    await expect(sms.issue('+33612340004')).rejects.toMatchObject({
      type: 'sms_limited',
      details: [{ retryAt: '2026-12-07T11:00:00.000Z' }],
    });
    expect(await writtenFor('+33612340004')).toEqual(nothing);
    // One digit more to the left is another range.
    await sms.issue('+33612350001');
    expect(await writtenFor('+33612350001')).toEqual({ challenges: 1, messages: 1 });
  });

  it('refuses a country its (limit+1)th text message within the hour; another country unaffected', async () => {
    const sms = smsActivities();
    for (const number of ['+33611110001', '+33622220001', '+33633330001', '+33644440001'])
      await sms.issue(number);
    sms.later(5);
    await expect(sms.issue('+33655550001')).rejects.toMatchObject({
      type: 'sms_limited',
      details: [{ retryAt: '2026-12-07T11:00:00.000Z' }],
    });
    expect(await writtenFor('+33655550001')).toEqual(nothing);
    await sms.issue('+447400123456');
    expect(await writtenFor('+447400123456')).toEqual({ challenges: 1, messages: 1 });
  });

  it('refuses a requester its (limit+1)th text message within the hour, whatever the numbers and countries, under any of its pseudonyms; another requester unaffected', async () => {
    const sms = smsActivities();
    await sms.issue('+33611110001', 'requester-a');
    sms.later(15);
    await sms.issue('+33622220001', 'requester-a');
    for (const requester of ['requester-a', joinPseudonyms(['requester-a-rotated', 'requester-a'])])
      await expect(sms.issue('+447400123456', requester)).rejects.toMatchObject({
        type: 'sms_limited',
        details: [{ retryAt: '2026-12-07T11:00:00.000Z' }],
      });
    expect(await writtenFor('+447400123456')).toEqual(nothing);
    await sms.issue('+447400123456', 'requester-b');
    expect(await writtenFor('+447400123456')).toEqual({ challenges: 1, messages: 1 });
  });

  it("refuses every number once the day's budget is spent, until the next UTC midnight, and raises the breaker alert", async () => {
    const sms = smsActivities({ start: '2026-12-07T23:30:00.000Z' });
    for (const number of [
      '+33611110001',
      '+33622220001',
      '+33633330001',
      '+447400100001',
      '+447400200001',
      '+447400300001',
    ])
      await sms.issue(number);
    expect(sms.logs.filter((line) => line.meta?.alert === 'sms_budget_breaker')).toEqual([]);
    sms.later(10);
    // Within every hourly limit (a fourth French range, a requester never seen): the budget refuses.
    for (const number of ['+33644440001', '+447400400001'])
      await expect(sms.issue(number, 'requester-new')).rejects.toMatchObject({
        type: 'sms_limited',
        details: [{ retryAt: '2026-12-08T00:00:00.000Z' }],
      });
    expect(await writtenFor('+33644440001')).toEqual(nothing);
    expect(await writtenFor('+447400400001')).toEqual(nothing);
    const alerts = sms.logs.filter((line) => line.meta?.alert === 'sms_budget_breaker');
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({
      level: 'ERROR',
      meta: { alert: 'sms_budget_breaker', budget: 6, until: '2026-12-08T00:00:00.000Z' },
    });
    // A new day, a new budget (the hourly limits still count the last hour).
    sms.at('2026-12-08T00:05:00.000Z');
    await sms.issue('+33644440001');
    expect(await writtenFor('+33644440001')).toEqual({ challenges: 1, messages: 1 });
  });

  it('does not count codes kept unsent (suppressed)', async () => {
    const sms = smsActivities();
    // No account has the number: recovery codes to it are kept unsent.
    const recovery: OtpPolicy = { ...smsPolicy, purpose: 'recovery', onlyToAccount: true };
    for (let attempt = 0; attempt < 3; attempt += 1)
      await sms.issue('+33612345678', undefined, recovery);
    expect(
      await prisma.outboundMessage.count({
        where: { recipient: '+33612345678', status: 'suppressed' },
      }),
    ).toBe(3);
    await sms.issue('+33612345678');
    await sms.issue('+33612345678');
    await expect(sms.issue('+33612345678')).rejects.toMatchObject({ type: 'sms_limited' });
    expect(await writtenFor('+33612345678')).toEqual({ challenges: 5, messages: 5 });
  });

  it('does not count codes kept unsent over the mail-bombing allowance towards the daily budget', async () => {
    // One code an hour per recipient is sent; every other is kept unsent.
    const sms = smsActivities({ codesPerRecipient: 1, limits: { perNumberPerHour: 10 } });
    for (let attempt = 0; attempt < 7; attempt += 1) await sms.issue('+33612345678');
    expect(
      await prisma.outboundMessage.count({
        where: { recipient: '+33612345678', status: 'suppressed' },
      }),
    ).toBe(6);
    // One sent of a budget of six: five more numbers get theirs.
    for (const number of [
      '+33622220001',
      '+33633330001',
      '+447400100001',
      '+447400200001',
      '+447400300001',
    ])
      await sms.issue(number);
    await expect(sms.issue('+447400400001')).rejects.toMatchObject({
      type: 'sms_limited',
      details: [{ retryAt: '2026-12-08T00:00:00.000Z' }],
    });
  });

  it('does not count messages sent more than an hour ago towards the hourly limits, but still towards the day', async () => {
    const sms = smsActivities({ start: '2026-12-07T12:00:00.000Z' });
    await sms.issue('+33612345678', 'requester-a');
    await sms.issue('+33612345678', 'requester-a');
    await expect(sms.issue('+33612345678')).rejects.toMatchObject({ type: 'sms_limited' });
    // Those two were sent 61 minutes ago.
    await prisma.$executeRaw`
      UPDATE otp_challenges SET created_at = created_at - interval '61 minutes'
      WHERE recipient = '+33612345678'`;
    await prisma.$executeRaw`
      UPDATE outbound_messages SET created_at = created_at - interval '61 minutes'
      WHERE recipient = '+33612345678'`;
    // Number, range, country and requester alike have room again.
    sms.later(10);
    await sms.issue('+33612345678', 'requester-a');
    sms.later(10);
    await sms.issue('+33612345678', 'requester-a');
    await expect(sms.issue('+33612345678')).rejects.toMatchObject({
      type: 'sms_limited',
      details: [{ retryAt: '2026-12-07T13:10:00.000Z' }],
    });
    expect(await writtenFor('+33612345678')).toEqual({ challenges: 4, messages: 4 });
    // Four of the day's six: two more, then the budget refuses.
    await sms.issue('+447400100001');
    await sms.issue('+447400200001');
    await expect(sms.issue('+447400300001')).rejects.toMatchObject({
      type: 'sms_limited',
      details: [{ retryAt: '2026-12-08T00:00:00.000Z' }],
    });
  });

  it('sends one number exactly its limit of codes when many are asked for at once', async () => {
    const sms = smsActivities();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => sms.issue('+33612345678')),
    );
    const refusals = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [(outcome.reason as { type?: string }).type] : [],
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
    expect(refusals).toEqual(['sms_limited', 'sms_limited', 'sms_limited', 'sms_limited']);
    expect(await writtenFor('+33612345678')).toEqual({ challenges: 2, messages: 2 });
  });
});
