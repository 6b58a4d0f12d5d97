import twilio from 'twilio';

/** Sends one text message; the provider's message id comes back. */
export type SmsSend = (sms: { to: string; text: string }) => Promise<{ messageId: string }>;

/**
 * Finds a text message the provider took already: to `to`, with exactly `text`, since `since`.
 * How a send whose answer was lost (a crash mid-call) is told from one never made.
 */
export type SmsFind = (sms: {
  to: string;
  text: string;
  since: Date;
}) => Promise<{ messageId: string } | undefined>;

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** The sending number (E.164), or a Messaging Service that picks one. */
  from?: string;
  messagingServiceSid?: string;
  /** Another base URL for Twilio's REST API (a regional proxy; the fake in tests). */
  apiUrl?: string;
  /** Where Twilio reports each message's delivery (on the public base URL), signed. */
  statusCallback?: string;
  /** How long a call to Twilio may take (default 10 s). */
  timeoutMs?: number;
}

/** Where the API takes Twilio's status callbacks (twilio-callbacks.ts), under the public base URL. */
export const TWILIO_STATUS_PATH = '/v1/providers/twilio/status';

/** The status callback URL for a public base URL: the one Twilio signs, and the API checks. */
export const twilioStatusUrl = (publicUrl: string): string =>
  `${publicUrl.replace(/\/+$/, '')}${TWILIO_STATUS_PATH}`;

/**
 * Sends text messages through Twilio's Programmable Messaging with the official client. A send runs
 * in a retried activity, so it fails fast (10 s) rather than hanging on a slow provider.
 */
export function createTwilioSender(options: TwilioOptions): { send: SmsSend; find: SmsFind } {
  const client = twilio(options.accountSid, options.authToken, {
    timeout: options.timeoutMs ?? 10_000,
  });
  if (options.apiUrl) client.api.baseUrl = options.apiUrl;
  const sender = options.messagingServiceSid
    ? { messagingServiceSid: options.messagingServiceSid }
    : { from: options.from as string };
  return {
    async send({ to, text }) {
      const message = await client.messages.create({
        to,
        body: text,
        ...sender,
        ...(options.statusCallback ? { statusCallback: options.statusCallback } : {}),
      });
      return { messageId: message.sid };
    },
    async find({ to, text, since }) {
      // Twilio filters by day; the time and the text are matched here. A code makes each text unique.
      const sent = await client.messages.list({ to, dateSentAfter: since, limit: 50 });
      const same = sent.find(
        (message) => message.body === text && new Date(message.dateCreated) >= since,
      );
      return same ? { messageId: same.sid } : undefined;
    },
  };
}
