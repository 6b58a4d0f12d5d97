import type { PrismaClient } from '../../db/prisma.js';

export interface OutboxRelayOptions {
  prisma: PrismaClient;
  /** Delivers one message (messageActivities' deliverMessage: idempotent, sent ones are skipped). */
  deliver: (input: { messageId: string }) => Promise<unknown>;
  onError: (error: unknown, messageId: string) => void;
  intervalMs?: number;
  /** A claim older than this is taken again: the worker that made it died while sending. */
  leaseMs?: number;
  /** Attempts after which a message is marked failed and left for an operator. */
  maxAttempts?: number;
  now?: () => Date;
}

const BATCH = 20;

/**
 * The worker's outbox relay: delivers the messages no run delivers (security notices), claimed a
 * batch at a time with SKIP LOCKED so several workers never take the same one, at least once.
 */
export function startOutboxRelay(options: OutboxRelayOptions) {
  const { prisma, deliver } = options;
  const now = options.now ?? (() => new Date());
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const maxAttempts = options.maxAttempts ?? 10;
  let running: Promise<number> | undefined;

  async function claim(): Promise<string[]> {
    const at = now();
    const rows = await prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE outbound_messages SET status = 'sending', claimed_at = ${at}
      WHERE id IN (
        SELECT id FROM outbound_messages
        WHERE delivered_by = 'relay'
          AND (status = 'pending'
               OR (status = 'sending' AND claimed_at < ${new Date(at.getTime() - leaseMs)}))
        ORDER BY created_at LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    return rows.map((row) => row.id);
  }

  /** One pass: claims what is due and delivers it; answers how many it delivered. */
  async function runOnce(): Promise<number> {
    let delivered = 0;
    for (const messageId of await claim()) {
      try {
        await deliver({ messageId });
        delivered += 1;
      } catch (error) {
        options.onError(error, messageId);
        // Back in the queue for the next pass, until it has had its attempts.
        await prisma.$executeRaw`
          UPDATE outbound_messages
          SET status = CASE WHEN attempts >= ${maxAttempts} THEN 'failed' ELSE 'pending' END,
              claimed_at = NULL
          WHERE id = ${messageId} AND status = 'sending'`;
      }
    }
    return delivered;
  }

  /** Passes never overlap in one process. */
  const pass = () => {
    running ??= runOnce().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    pass().catch((error) => options.onError(error, ''));
  }, options.intervalMs ?? 2_000);
  timer.unref();

  return {
    runOnce: pass,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
