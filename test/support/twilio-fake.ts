import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

/** A text message as Twilio's Messages resource received it. */
export interface FakeSms {
  accountSid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  sid: string;
  /** The URL Twilio would post this message's status to, as the sender gave it. */
  statusCallback?: string;
}

export interface TwilioFake {
  url: string;
  accountSid: string;
  authToken: string;
  messages: FakeSms[];
  /** Takes messages but answers none while on (a send whose answer never comes back). */
  holdAnswers(hold: boolean): void;
  /**
   * Plays the status callback Twilio would make for a sent message: a form signed as Twilio signs
   * it (X-Twilio-Signature over its StatusCallback URL), posted to `reachAt` (the API's address
   * here: the public URL it was given names another host, as behind a proxy).
   */
  reportStatus(
    sid: string,
    status: string,
    reachAt: string,
    extra?: Record<string, string>,
  ): Promise<number>;
  close(): Promise<void>;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;

async function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Twilio's REST API at its HTTP boundary, for the official `twilio` client to talk to: the
 * Messages resource (`POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, Basic auth
 * with the account SID and auth token, and its list, `GET`, by `To`), answering as Twilio does,
 * errors included; and the status callbacks Twilio plays back, signed as Twilio signs them.
 */
export async function startTwilioFake(): Promise<TwilioFake> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const messages: FakeSms[] = [];
  const error = (status: number, code: number, message: string) =>
    JSON.stringify({
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    });

  const server = createServer(async (req, res) => {
    res.setHeader('content-type', 'application/json');
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = /^\/2010-04-01\/Accounts\/(AC\w+)\/Messages\.json$/.exec(path);
    if (!match || (req.method !== 'POST' && req.method !== 'GET')) {
      res.writeHead(404).end(error(404, 20404, 'The requested resource was not found'));
      return;
    }
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected || match[1] !== accountSid) {
      res.writeHead(401).end(error(401, 20003, 'Authenticate'));
      return;
    }
    if (req.method === 'GET') {
      // The Messages list, filtered by To (the filter the sender's reconciliation uses), newest first.
      const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
      const to = query.get('To');
      const listed = messages.filter((sms) => !to || sms.to === to).reverse();
      res.writeHead(200).end(
        JSON.stringify({
          messages: listed.map(resourceOf),
          page: 0,
          page_size: 50,
          first_page_uri: path,
          next_page_uri: null,
          previous_page_uri: null,
          uri: path,
        }),
      );
      return;
    }
    const form = await readBody(req);
    const to = form.get('To') ?? '';
    if (!E164.test(to)) {
      res
        .writeHead(400)
        .end(error(400, 21211, `The 'To' number ${to} is not a valid phone number.`));
      return;
    }
    const sms: FakeSms = {
      accountSid,
      to,
      body: form.get('Body') ?? '',
      sid: `SM${randomBytes(16).toString('hex')}`,
      ...(form.get('From') ? { from: form.get('From') as string } : {}),
      ...(form.get('StatusCallback')
        ? { statusCallback: form.get('StatusCallback') as string }
        : {}),
      ...(form.get('MessagingServiceSid')
        ? { messagingServiceSid: form.get('MessagingServiceSid') as string }
        : {}),
    };
    messages.push(sms);
    // Taken, and the answer held back: the sender's process may die before it hears of it.
    if (holding) return;
    res.writeHead(201).end(JSON.stringify(resourceOf(sms)));
  });
  const resourceOf = (sms: FakeSms) => ({
    sid: sms.sid,
    account_sid: accountSid,
    to: sms.to,
    from: sms.from ?? null,
    messaging_service_sid: sms.messagingServiceSid ?? null,
    body: sms.body,
    status: 'queued',
    num_segments: '1',
    direction: 'outbound-api',
    api_version: '2010-04-01',
    date_created: new Date().toUTCString(),
    uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sms.sid}.json`,
  });
  let holding = false;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // `localhost`, not an IP: the client derives edge and region from the host name's labels.
    url: `http://localhost:${port}`,
    accountSid,
    authToken,
    messages,
    holdAnswers(hold) {
      holding = hold;
    },
    async reportStatus(sid, status, reachAt, extra = {}) {
      const sms = messages.find((message) => message.sid === sid);
      if (!sms?.statusCallback) throw new Error(`no status callback for ${sid}`);
      const params = {
        AccountSid: accountSid,
        MessageSid: sid,
        SmsSid: sid,
        MessageStatus: status,
        SmsStatus: status,
        To: sms.to,
        ...(sms.from ? { From: sms.from } : {}),
        ApiVersion: '2010-04-01',
        ...extra,
      };
      const target = new URL(sms.statusCallback);
      const response = await fetch(`${reachAt}${target.pathname}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(
            authToken,
            sms.statusCallback,
            params,
          ),
        },
        body: new URLSearchParams(params).toString(),
      });
      return response.status;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
