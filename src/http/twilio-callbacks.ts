import { type Request, type Response, Router } from 'express';
import twilio from 'twilio';
import { recordProviderReport } from '../channels/provider-status.js';
import type { PrismaClient } from '../db/prisma.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { HttpProblem } from './problem.js';

export interface TwilioCallbackOptions {
  authToken: string;
  /** The status callback URL as Twilio was given it (on PARCOURS_PUBLIC_URL): what it signs. */
  url: string;
}

/**
 * Twilio's status callbacks for the text messages sent (delivered, undelivered, failed), kept on
 * the outbox message with that provider id. Trust boundary: a callback is a request from anyone
 * until its `X-Twilio-Signature` verifies (twilio's own validator: HMAC-SHA1 of the URL and the
 * form under the account's auth token). The URL checked is the configured one, never one built
 * from `Host` or `X-Forwarded-*`. A forged or altered callback changes nothing and answers 403.
 */
export function createTwilioCallbacks(options: TwilioCallbackOptions & { prisma: PrismaClient }) {
  const router = Router();
  router.post('/status', async (req: Request, res: Response) => {
    const form = (req.body ?? {}) as Record<string, string>;
    const signature = req.get('x-twilio-signature') ?? '';
    if (!signature || !twilio.validateRequest(options.authToken, signature, options.url, form))
      throw new HttpProblem('callback_refused');
    const sid = form.MessageSid;
    const status = form.MessageStatus;
    // Reports may arrive out of order, or before the message carries Twilio's id: both are kept.
    if (typeof sid === 'string' && typeof status === 'string')
      await recordProviderReport(options.prisma, {
        providerMessageId: sid,
        status,
        error: typeof form.ErrorCode === 'string' ? form.ErrorCode : undefined,
      });
    // Twilio retries on errors: an unknown message or status is acknowledged, and ignored.
    res.status(204).end();
  });
  router.all('/status', methodNotAllowed('POST'));
  return router;
}
