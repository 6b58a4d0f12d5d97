import { RecipientRefusedError } from '../../channels/addresses.js';
import { applyEarlyReport } from '../../channels/provider-status.js';
import type { RenderedEmail, RenderedSms } from '../../channels/render.js';
import { businessFailure } from '../../errors/journey-error.js';
import type { ActivityDeps } from '../deps.js';
import { createOutbox } from './outbox.js';

/** How far the provider's clock may be behind ours when a claim's time is compared with its. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * What delivery did: sent; kept unsent (an address over its limit, or with no account to reach);
 * or left to the worker's outbox relay, which sends it on its own schedule.
 */
export type DeliveryStatus = 'sent' | 'suppressed' | 'relayed';

export function messageActivities(deps: ActivityDeps) {
  const { deliver } = messageDelivery(deps);
  return {
    /**
     * Delivers one outbox message on its channel (email over SMTP, SMS through the provider).
     * Idempotent: a message already sent is not sent again. A message queued for the relay is
     * left to it: the run learns only that it is on its way.
     */
    deliverMessage(input: { messageId: string }): Promise<{ status: DeliveryStatus }> {
      return deliver(input.messageId, { by: 'journey' });
    },
  };
}

/** Delivery itself, for the run's activity and for the worker's outbox relay (`by: 'relay'`). */
export function messageDelivery(deps: ActivityDeps) {
  const { prisma, sendEmail, sendSms, findSms, now } = deps;
  const outbox = createOutbox(deps);
  const markSent = async (
    message: { id: string; channel: string },
    providerMessageId: string,
    { wipeContent }: { wipeContent: boolean },
  ) => {
    await prisma.outboundMessage.update({
      where: { id: message.id },
      data: {
        status: 'sent',
        sentAt: now(),
        attempts: { increment: 1 },
        providerMessageId,
        ...(wipeContent ? { sealedContent: null } : {}),
      },
    });
    // Twilio may have reported on a text before its send call answered (no report comes for mail).
    if (message.channel === 'sms') await applyEarlyReport(prisma, providerMessageId);
  };
  return {
    async deliver(
      messageId: string,
      { by }: { by: 'journey' | 'relay' },
    ): Promise<{ status: DeliveryStatus }> {
      const message = await prisma.outboundMessage.findUnique({ where: { id: messageId } });
      if (!message) throw businessFailure('message_not_found', { messageId });
      if (message.status === 'sent') return { status: 'sent' };
      if (message.status === 'suppressed') return { status: 'suppressed' };
      // The same single read whether it was kept or is the relay's to send: a run asking after a
      // code only an account gets learns nothing from how long this took (see OtpPolicy.onlyToAccount).
      if (message.deliveredBy === 'relay' && by === 'journey') return { status: 'relayed' };
      if (message.status === 'failed')
        throw businessFailure('recipient_refused', { messageId: message.id });
      const content = outbox.open(message);
      if (!content) throw businessFailure('message_content_gone', { messageId: message.id });
      const send =
        message.channel === 'sms'
          ? sendSms && (() => sendSms({ to: message.recipient, ...(content as RenderedSms) }))
          : sendEmail &&
            (() => sendEmail({ to: message.recipient, ...(content as RenderedEmail) }));
      if (!send) {
        // Embedded mode: the dev outbox is the mailbox, so the (encrypted) content stays.
        await markSent(message, 'dev-outbox', { wipeContent: false });
        return { status: 'sent' };
      }
      if (message.channel === 'sms' && findSms) {
        // Exactly one text per message, across a crash: a message is claimed before the provider
        // is called, so a retry that finds it claimed asks the provider whether it took it (same
        // number, same text, since the claim) before sending again. Email has no such question to
        // ask its server; a mail is at least once.
        const claimedAt = message.status === 'sending' ? message.claimedAt : null;
        const taken =
          claimedAt &&
          (await findSms({
            to: message.recipient,
            text: (content as RenderedSms).text,
            since: new Date(claimedAt.getTime() - CLOCK_SKEW_MS),
          }));
        if (taken) {
          await markSent(message, taken.messageId, { wipeContent: true });
          return { status: 'sent' };
        }
        await prisma.outboundMessage.update({
          where: { id: message.id },
          data: { status: 'sending', claimedAt: now() },
        });
      }
      try {
        const { messageId } = await send();
        // Once the provider has it, the code inside has no business staying at rest.
        await markSent(message, messageId, { wipeContent: true });
        return { status: 'sent' };
      } catch (error) {
        // A recipient the mailer would misread is refused for good: no retry can make it plain.
        const refused = error instanceof RecipientRefusedError;
        await prisma.outboundMessage.update({
          where: { id: message.id },
          data: {
            attempts: { increment: 1 },
            lastError: error instanceof Error ? error.message : String(error),
            ...(refused ? { status: 'failed', sealedContent: null } : {}),
          },
        });
        if (refused) throw businessFailure('recipient_refused', { messageId: message.id });
        throw error;
      }
    },
  };
}
