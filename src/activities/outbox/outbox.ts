import type {
  Channel,
  RenderedEmail,
  RenderedMessage,
  RenderedSms,
} from '../../channels/render.js';
import type { Prisma } from '../../db/prisma.js';
import { openJson, sealJson } from '../../security/seal.js';
import type { ActivityDeps } from '../deps.js';

const OUTBOX_PURPOSE = 'outbox';

/** A rendered message on its way to one recipient, as the outbox keeps it. */
export interface OutgoingMessage {
  id: string;
  idempotencyKey: string;
  journeyId?: string;
  channel: Channel;
  to: string;
  template: string;
  rendered: RenderedMessage;
  /** Kept, never sent (an address over its sending limit). */
  suppressed?: boolean;
  /** Who delivers it: the run that queued it (default), or the worker's outbox relay. */
  deliveredBy?: 'journey' | 'relay';
}

/**
 * The outbox: a message is written (encrypted, it may hold a code) in the same transaction as what
 * it announces, then delivered by its own queued activity (`deliverMessage`) that retries on its own.
 */
export function createOutbox({ keyring }: Pick<ActivityDeps, 'keyring'>) {
  const keys = keyring.derive(OUTBOX_PURPOSE);
  return {
    enqueue(tx: Prisma.TransactionClient, message: OutgoingMessage) {
      return tx.outboundMessage.create({
        data: {
          id: message.id,
          idempotencyKey: message.idempotencyKey,
          journeyId: message.journeyId ?? null,
          channel: message.channel,
          recipient: message.to,
          template: message.template,
          locale: message.rendered.locale,
          sealedContent: sealJson(keys, message.rendered.content, message.id),
          ...(message.suppressed ? { status: 'suppressed' } : {}),
          ...(message.deliveredBy ? { deliveredBy: message.deliveredBy } : {}),
        },
      });
    },
    open(message: {
      id: string;
      sealedContent: Uint8Array | null;
    }): RenderedEmail | RenderedSms | undefined {
      return message.sealedContent
        ? (openJson(keys, message.sealedContent, message.id) as RenderedEmail | RenderedSms)
        : undefined;
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
