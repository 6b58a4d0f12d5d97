import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../src/activities/index.js';
import { messageActivities, messageDelivery } from '../../src/activities/outbox/delivery.js';
import { startOutboxRelay } from '../../src/activities/outbox/outbox-relay.js';
import { createSecurityNotices } from '../../src/activities/outbox/security-notices.js';
import { createMessageRenderer } from '../../src/channels/render.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { createVault } from '../../src/security/vault.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/*
 * Security notices are raised where no run waits to deliver them (a lock, a suspended passkey):
 * the worker's outbox relay delivers them, at least once and, with several workers, once.
 */
describe('the outbox relay', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  const keyring = createKeyring(generateKeySpec('test'));
  const renderMessage = createMessageRenderer().render;
  const sent: Array<{ to: string; subject: string }> = [];
  let failNext = 0;

  const deps = (): ActivityDeps => ({
    prisma,
    keyring,
    vault: createVault(prisma, keyring),
    renderMessage,
    productName: 'Parcours',
    sessionTtlMs: 3_600_000,
    codesPerRecipientPerHour: 10,
    codesPerRequesterPerHour: 5,
    sendEmail: async (mail) => {
      if (failNext > 0) {
        failNext -= 1;
        throw new Error('421 try again later');
      }
      sent.push({ to: mail.to, subject: mail.subject });
      return { messageId: `smtp-${sent.length}` };
    },
    now: () => new Date(),
  });
  const deliverer = () => {
    const { deliver } = messageDelivery(deps());
    return ({ messageId }: { messageId: string }) => deliver(messageId, { by: 'relay' });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrisma(db.url, { max: 4 });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  async function accountWith(address: string, verified = true) {
    const user = await prisma.user.create({
      data: {
        identifiers: {
          create: { type: 'email', value: address, verifiedAt: verified ? new Date() : null },
        },
      },
    });
    return user.id;
  }
  const notices = createSecurityNotices({ keyring, renderMessage, productName: 'Parcours' });
  const tell = (userId: string, key: string) =>
    prisma.$transaction((tx) =>
      notices.tell(tx, {
        userId,
        notice: { template: 'factor-added', factor: 'totp' },
        idempotencyKey: key,
      }),
    );
  const relay = (options: { leaseMs?: number } = {}) =>
    startOutboxRelay({
      prisma,
      deliver: deliverer(),
      onError: () => {},
      intervalMs: 3_600_000,
      ...options,
    });

  it('queues a notice once per idempotency key, for verified addresses only', async () => {
    const owner = await accountWith('owner@example.com');
    const first = await tell(owner, 'call-1:notice');
    expect(await tell(owner, 'call-1:notice')).toBe(first);
    expect(await prisma.outboundMessage.count({ where: { recipient: 'owner@example.com' } })).toBe(
      1,
    );
    const unverified = await accountWith('unproven@example.com', false);
    expect(await tell(unverified, 'call-2:notice')).toBeUndefined();
  });

  it('delivers each notice once when two workers relay at the same time', async () => {
    const userIds = await Promise.all(
      Array.from({ length: 6 }, (_, index) => accountWith(`race-${index}@example.com`)),
    );
    await Promise.all(userIds.map((userId, index) => tell(userId, `race-${index}`)));
    const [a, b] = [relay(), relay()];
    await Promise.all([a.runOnce(), b.runOnce()]);
    await Promise.all([a.stop(), b.stop()]);
    const raced = sent.filter((mail) => mail.to.startsWith('race-'));
    expect(raced).toHaveLength(6);
    expect(new Set(raced.map((mail) => mail.to)).size).toBe(6);
    expect(raced[0]?.subject).toMatch(/second factor was added/);
  });

  it('puts a notice back when sending fails, and sends it on a later pass', async () => {
    const userId = await accountWith('flaky@example.com');
    const id = await tell(userId, 'flaky');
    failNext = 1;
    const one = relay();
    expect(await one.runOnce()).toBe(0);
    expect(await prisma.outboundMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'pending',
      attempts: 1,
    });
    expect(await one.runOnce()).toBe(1);
    await one.stop();
    expect(sent.filter((mail) => mail.to === 'flaky@example.com')).toHaveLength(1);
  });

  it('takes over a notice a dead worker claimed, once its lease is out', async () => {
    const userId = await accountWith('orphan@example.com');
    const id = (await tell(userId, 'orphan')) as string;
    await prisma.outboundMessage.update({
      where: { id },
      data: { status: 'sending', claimedAt: new Date(Date.now() - 60_000) },
    });
    const patient = relay({ leaseMs: 120_000 });
    expect(await patient.runOnce()).toBe(0);
    await patient.stop();
    const takeover = relay({ leaseMs: 30_000 });
    expect(await takeover.runOnce()).toBe(1);
    await takeover.stop();
    expect(sent.filter((mail) => mail.to === 'orphan@example.com')).toHaveLength(1);
  });

  it('leaves messages a run delivers itself to that run', async () => {
    const message = await prisma.outboundMessage.create({
      data: {
        idempotencyKey: 'journey-message',
        channel: 'email',
        recipient: 'journey@example.com',
        template: 'registration-code',
      },
    });
    const one = relay();
    await one.runOnce();
    await one.stop();
    expect(
      await prisma.outboundMessage.findUniqueOrThrow({ where: { id: message.id } }),
    ).toMatchObject({ status: 'pending' });
  });

  it('sends nothing when a run asks to deliver a message queued for the relay: the relay sends it, apart from the answer', async () => {
    const userId = await accountWith('relayed@example.com');
    const messageId = (await tell(userId, 'relayed-notice')) as string;
    const { deliverMessage } = messageActivities(deps());
    expect(await deliverMessage({ messageId })).toEqual({ status: 'relayed' });
    expect(sent.filter((mail) => mail.to === 'relayed@example.com')).toHaveLength(0);
    const one = relay();
    await one.runOnce();
    await one.stop();
    expect(sent.filter((mail) => mail.to === 'relayed@example.com')).toHaveLength(1);
    expect(await deliverMessage({ messageId })).toEqual({ status: 'sent' });
  });
});
