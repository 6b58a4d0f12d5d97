import nodemailer from 'nodemailer';
import { plainRecipient } from './addresses.js';

/** One email ready to go. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface EmailSender {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
  /** Closes pooled connections (`?pool=true` in the URL); harmless otherwise. */
  close(): void;
}

// nodemailer waits up to 2 min to connect and 10 min on a silent socket; a send runs in a
// retried activity, so failing fast and retrying beats hanging. Query parameters in the URL win.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** Sends email over SMTP with nodemailer; `smtpUrl` like `smtp://user:pass@host:587` or `smtps://host:465`. */
export function createSmtpSender(smtpUrl: string, from: string): EmailSender {
  const transport = nodemailer.createTransport({ url: smtpUrl, ...TIMEOUTS }, { from });
  return {
    async send({ to, subject, text, html }) {
      // The parsed address, checked to be exactly the stored one: nodemailer never re-reads a string.
      const info = await transport.sendMail({ to: plainRecipient(to), subject, text, html });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}
