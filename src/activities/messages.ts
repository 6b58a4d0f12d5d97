import type { Prisma } from '../db/prisma.js';
import type { RenderedEmail } from '../email/render.js';
import { businessFailure } from '../engine/journey-error.js';
import { openJson, sealJson } from '../security/seal.js';
import type { ActivityDeps } from './deps.js';

const OUTBOX_PURPOSE = 'outbox';

/**
 * The outbox: a message is written (encrypted, it may hold a code) in the same transaction as what
 * it announces, then delivered by its own queued activity that retries on its own.
 */
export function createOutbox({ keyring }: Pick<ActivityDeps, 'keyring'>) {
  const keys = keyring.derive(OUTBOX_PURPOSE);
  return {
    enqueueEmail(
      tx: Prisma.TransactionClient,
      message: {
        id: string;
        idempotencyKey: string;
        journeyId?: string;
        to: string;
        template: string;
        content: RenderedEmail;
        /** Kept, never sent (an address over its sending limit). */
        suppressed?: boolean;
      },
    ) {
      return tx.outboundMessage.create({
        data: {
          id: message.id,
          idempotencyKey: message.idempotencyKey,
          journeyId: message.journeyId ?? null,
          channel: 'email',
          recipient: message.to,
          template: message.template,
          sealedContent: sealJson(keys, message.content, message.id),
          ...(message.suppressed ? { status: 'suppressed' } : {}),
        },
      });
    },
    open(message: { id: string; sealedContent: Uint8Array | null }): RenderedEmail | undefined {
      return message.sealedContent
        ? (openJson(keys, message.sealedContent, message.id) as RenderedEmail)
        : undefined;
    },
  };
}

export function messageActivities(deps: ActivityDeps) {
  const { prisma, sendEmail } = deps;
  const outbox = createOutbox(deps);
  const { now } = deps;
  const markSent = (
    id: string,
    providerMessageId: string,
    { wipeContent }: { wipeContent: boolean },
  ) =>
    prisma.outboundMessage.update({
      where: { id },
      data: {
        status: 'sent',
        sentAt: now(),
        attempts: { increment: 1 },
        providerMessageId,
        ...(wipeContent ? { sealedContent: null } : {}),
      },
    });
  return {
    /** Delivers one outbox message. Idempotent: a message already sent is not sent again. */
    async deliverMessage(input: { messageId: string }): Promise<{ status: 'sent' | 'suppressed' }> {
      const message = await prisma.outboundMessage.findUnique({ where: { id: input.messageId } });
      if (!message) throw businessFailure('message_not_found');
      if (message.status === 'sent') return { status: 'sent' };
      if (message.status === 'suppressed') return { status: 'suppressed' };
      const content = outbox.open(message);
      if (!content) throw businessFailure('message_content_gone');
      if (!sendEmail) {
        // Embedded mode: the dev outbox is the mailbox, so the (encrypted) content stays.
        await markSent(message.id, 'dev-outbox', { wipeContent: false });
        return { status: 'sent' };
      }
      try {
        const { messageId } = await sendEmail({ to: message.recipient, ...content });
        // Once the mail server has it, the code inside has no business staying at rest.
        await markSent(message.id, messageId, { wipeContent: true });
        return { status: 'sent' };
      } catch (error) {
        await prisma.outboundMessage.update({
          where: { id: message.id },
          data: {
            attempts: { increment: 1 },
            lastError: error instanceof Error ? error.message : String(error),
          },
        });
        throw error;
      }
    },
  };
}
