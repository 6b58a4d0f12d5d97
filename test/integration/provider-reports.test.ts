import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyEarlyReport,
  EARLY_REPORT_TTL_MS,
  purgeEarlyReports,
  recordProviderReport,
} from '../../src/channels/provider-status.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/*
 * Twilio may post a status callback before its send call has answered us, so before the outbox
 * message carries its SID (seen in CI: a "delivered" lost that way). Such a report waits for the
 * SID and is applied when the message records it; statuses only move forward.
 */

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url);
});
afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const queuedText = () =>
  prisma.outboundMessage.create({
    data: {
      idempotencyKey: randomUUID(),
      channel: 'sms',
      recipient: '+33612345602',
      template: 'verify-phone',
      status: 'sending',
    },
  });
const sent = async (id: string, sid: string) => {
  await prisma.outboundMessage.update({ where: { id }, data: { providerMessageId: sid } });
  await applyEarlyReport(prisma, sid);
};
const statusOf = async (id: string) =>
  (await prisma.outboundMessage.findUniqueOrThrow({ where: { id } })).providerStatus;

describe('delivery reports from the SMS provider', () => {
  it('keeps a report that came before the message carried its SID, and applies it once it does', async () => {
    const message = await queuedText();
    const sid = `SM${randomUUID().replaceAll('-', '')}`;
    await recordProviderReport(prisma, { providerMessageId: sid, status: 'delivered' });
    expect(await statusOf(message.id)).toBeNull();
    await sent(message.id, sid);
    expect(await statusOf(message.id)).toBe('delivered');
    expect(await prisma.earlyProviderReport.count({ where: { providerMessageId: sid } })).toBe(0);
  });

  it('never moves an early report back: a late "sent" after "failed" keeps "failed" and its error code', async () => {
    const message = await queuedText();
    const sid = `SM${randomUUID().replaceAll('-', '')}`;
    await recordProviderReport(prisma, {
      providerMessageId: sid,
      status: 'failed',
      error: '30003',
    });
    await recordProviderReport(prisma, { providerMessageId: sid, status: 'sent' });
    await sent(message.id, sid);
    const row = await prisma.outboundMessage.findUniqueOrThrow({ where: { id: message.id } });
    expect([row.providerStatus, row.providerError]).toEqual(['failed', '30003']);
  });

  it('loses no report when the SID is recorded while the report is being kept (either order)', async () => {
    for (let round = 0; round < 20; round += 1) {
      const message = await queuedText();
      const sid = `SM${randomUUID().replaceAll('-', '')}`;
      await Promise.all([
        recordProviderReport(prisma, { providerMessageId: sid, status: 'delivered' }),
        sent(message.id, sid),
      ]);
      expect(await statusOf(message.id)).toBe('delivered');
    }
  });

  it('ignores a status Twilio does not define, and drops reports no message claimed within a day', async () => {
    const sid = `SM${randomUUID().replaceAll('-', '')}`;
    await recordProviderReport(prisma, { providerMessageId: sid, status: 'teleported' });
    expect(await prisma.earlyProviderReport.count({ where: { providerMessageId: sid } })).toBe(0);
    await recordProviderReport(prisma, { providerMessageId: sid, status: 'queued' });
    const later = new Date(Date.now() + EARLY_REPORT_TTL_MS + 60_000);
    expect(await purgeEarlyReports(prisma, later)).toBeGreaterThanOrEqual(1);
    expect(await prisma.earlyProviderReport.count({ where: { providerMessageId: sid } })).toBe(0);
  });
});
