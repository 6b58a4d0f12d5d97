import twilio from 'twilio';

/** Sends one text message; the provider's message id comes back. */
export type SmsSend = (sms: { to: string; text: string }) => Promise<{ messageId: string }>;

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** The sending number (E.164), or a Messaging Service that picks one. */
  from?: string;
  messagingServiceSid?: string;
  /** Another base URL for Twilio's REST API (a regional proxy; the fake in tests). */
  apiUrl?: string;
}

/**
 * Sends text messages through Twilio's Programmable Messaging with the official client. A send runs
 * in a retried activity, so it fails fast (10 s) rather than hanging on a slow provider.
 */
export function createTwilioSender(options: TwilioOptions): { send: SmsSend } {
  const client = twilio(options.accountSid, options.authToken, { timeout: 10_000 });
  if (options.apiUrl) client.api.baseUrl = options.apiUrl;
  const sender = options.messagingServiceSid
    ? { messagingServiceSid: options.messagingServiceSid }
    : { from: options.from as string };
  return {
    async send({ to, text }) {
      const message = await client.messages.create({ to, body: text, ...sender });
      return { messageId: message.sid };
    },
  };
}
