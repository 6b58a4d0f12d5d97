import { randomUUID } from 'node:crypto';
import type { Channel } from '../../channels/render.js';
import type { Prisma } from '../../db/prisma.js';
import type { ActivityDeps } from '../deps.js';
import { createOutbox } from './outbox.js';

/**
 * What an account's owner is told when how the account authenticates changes (ASVS 5.0 V6.3.7):
 * a factor added or removed, a passkey suspended, a sign-in method locked.
 */
export type SecurityNotice =
  | { template: 'factor-added' | 'factor-removed'; factor: string }
  | { template: 'passkey-suspended' }
  | { template: 'sign-in-locked'; factor: 'password' | 'totp' }
  | { template: 'password-reset' | 'factor-reset-done' | 'erasure-cancelled' }
  | {
      template: 'factor-reset-scheduled' | 'factor-reset-reminder' | 'erasure-scheduled';
      dueAt: string;
    };

/** Factors as a person reads them, in the notice's words. */
const FACTOR_NAMES: Record<string, string> = {
  totp: 'An authenticator app',
  webauthn: 'A passkey',
  recovery_code: 'A set of recovery codes',
  sms: 'A phone number for text message codes',
  password: 'password',
};
const factorName = (factor: string) => FACTOR_NAMES[factor] ?? factor;

/**
 * Security notices go through the outbox like every message, written in the transaction of the
 * change they announce, but are delivered by the worker's relay (outbox-relay.ts): they are raised
 * where no run waits to deliver them (a refused passkey, a lock), and must go out all the same.
 */
export function createSecurityNotices(
  deps: Pick<ActivityDeps, 'keyring' | 'renderMessage' | 'productName'>,
) {
  const outbox = createOutbox(deps);
  const render = (notice: SecurityNotice, locales?: string[], channel: Channel = 'email') => {
    const productName = deps.productName;
    switch (notice.template) {
      case 'factor-added':
      case 'factor-removed':
        return deps.renderMessage(
          'email',
          notice.template,
          { productName, factorName: factorName(notice.factor) },
          locales,
        );
      case 'passkey-suspended':
      case 'password-reset':
      case 'factor-reset-done':
      case 'erasure-cancelled':
        return deps.renderMessage(channel, notice.template, { productName }, locales);
      case 'factor-reset-scheduled':
      case 'factor-reset-reminder':
      case 'erasure-scheduled':
        return deps.renderMessage(
          channel,
          notice.template,
          { productName, dueAt: notice.dueAt.replace('T', ' ').slice(0, 16) },
          locales,
        );
      case 'sign-in-locked':
        return deps.renderMessage(
          'email',
          notice.template,
          { productName, what: notice.factor === 'totp' ? 'authenticator app codes' : 'password' },
          locales,
        );
    }
  };

  /** Queues one notice to one address or phone, for the relay to deliver. */
  async function queue(
    tx: Prisma.TransactionClient,
    input: { notice: SecurityNotice; journeyId?: string; locales?: string[] },
    to: string,
    idempotencyKey: string,
    channel: Channel = 'email',
  ): Promise<string> {
    const message = await outbox.enqueue(tx, {
      id: randomUUID(),
      idempotencyKey,
      ...(input.journeyId ? { journeyId: input.journeyId } : {}),
      channel,
      to,
      template: input.notice.template,
      rendered: render(input.notice, input.locales, channel),
      deliveredBy: 'relay',
    });
    return message.id;
  }

  return {
    /**
     * Queues `notice` for the account's verified address, once per `idempotencyKey` (a retried
     * activity finds the one it queued). No verified address: nothing to tell, nothing queued.
     */
    async tell(
      tx: Prisma.TransactionClient,
      input: {
        userId: string;
        notice: SecurityNotice;
        idempotencyKey: string;
        journeyId?: string;
        locales?: string[];
      },
    ): Promise<string | undefined> {
      const earlier = await tx.outboundMessage.findUnique({
        where: { idempotencyKey: input.idempotencyKey },
        select: { id: true },
      });
      if (earlier) return earlier.id;
      const address = await tx.identifier.findFirst({
        where: { userId: input.userId, type: 'email', verifiedAt: { not: null } },
        orderBy: { createdAt: 'asc' },
        select: { value: true },
      });
      if (!address) return undefined;
      return queue(tx, input, address.value, input.idempotencyKey);
    },

    /**
     * Queues `notice` for every verified address of the account, each once per `idempotencyKey`:
     * a change an attacker could make from one inbox (account recovery) is told to all the others.
     * `phones`: by text to every phone the account has enrolled too (a reset of its factors).
     */
    async tellEveryAddress(
      tx: Prisma.TransactionClient,
      input: {
        userId: string;
        notice: SecurityNotice;
        idempotencyKey: string;
        journeyId?: string;
        locales?: string[];
        phones?: boolean;
      },
    ): Promise<string[]> {
      const [addresses, phones] = await Promise.all([
        tx.identifier.findMany({
          where: { userId: input.userId, type: 'email', verifiedAt: { not: null } },
          orderBy: { createdAt: 'asc' },
          select: { value: true },
        }),
        input.phones
          ? tx.credential.findMany({
              where: { userId: input.userId, type: 'sms', confirmedAt: { not: null } },
              select: { data: true },
            })
          : [],
      ]);
      const numbers = new Set(
        phones.map(({ data }) => (data as { phone?: string } | null)?.phone).filter(Boolean),
      );
      const recipients: Array<{ to: string; channel: Channel }> = [
        ...addresses.map(({ value }) => ({ to: value, channel: 'email' as const })),
        ...[...numbers].map((phone) => ({ to: phone as string, channel: 'sms' as const })),
      ];
      const ids: string[] = [];
      for (const { to, channel } of recipients) {
        const key = `${input.idempotencyKey}:${to}`;
        const earlier = await tx.outboundMessage.findUnique({
          where: { idempotencyKey: key },
          select: { id: true },
        });
        ids.push(earlier?.id ?? (await queue(tx, input, to, key, channel)));
      }
      return ids;
    },
  };
}

export type SecurityNotices = ReturnType<typeof createSecurityNotices>;
