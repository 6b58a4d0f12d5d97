import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeIn, stepApiClient } from '../support/http.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';
import { startTwilioFake, type TwilioFake } from '../support/twilio-fake.js';
import { killHard, startWorkerProcess } from '../support/worker-process.js';

let smtp: SmtpSink;
let twilio: TwilioFake;
let stack: Stack;
const workers: ChildProcess[] = [];
const smsEnv = () => ({
  SMTP_URL: smtp.url,
  TWILIO_ACCOUNT_SID: twilio.accountSid,
  TWILIO_AUTH_TOKEN: twilio.authToken,
  TWILIO_FROM: '+15005550006',
  TWILIO_API_URL: twilio.url,
  SMS_COUNTRIES: 'FR',
});

beforeAll(async () => {
  smtp = await startSmtpSink();
  twilio = await startTwilioFake();
  stack = await startStack({ smtpUrl: smtp.url, withoutWorker: true });
});
afterAll(async () => {
  for (const worker of workers) await killHard(worker);
  await stack?.stop();
  await twilio?.close();
  await smtp?.close();
});

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('sends exactly one text when the worker is SIGKILLed while Twilio takes it, and the run completes on the next worker', async () => {
  const api = stepApiClient(stack.url);
  workers.push(await startWorkerProcess(stack, smsEnv()));
  const customer = await signUp(api, smtp);
  const started = await api.call('POST', '/v1/journeys/mfa-enrolment/start', {
    headers: bearer(customer.sessionToken),
    body: { factor: 'sms' },
  });
  const { id, token } = started.body;

  // Twilio takes the text and its answer never reaches the worker: the machine dies mid-call.
  twilio.holdAnswers(true);
  const asked = await api.submit(id, token, 'phone', { phone: '+33 6 98 76 54 32' });
  expect(asked.body.step.name).toBe('verify-phone');
  await until(
    () => twilio.messages.filter((sms) => sms.to === '+33698765432').length,
    (count) => count === 1,
  );
  await killHard(workers[0] as ChildProcess);
  twilio.holdAnswers(false);
  workers.push(await startWorkerProcess(stack, smsEnv()));

  // The delivery is retried once its attempt times out (30 s): it asks Twilio, finds the text it
  // took, and sends none.
  const [text] = twilio.messages.filter((sms) => sms.to === '+33698765432');
  const message = await until(
    () => stack.prisma.outboundMessage.findFirstOrThrow({ where: { recipient: '+33698765432' } }),
    (row) => row.status === 'sent',
  );
  // The customer goes on with the code the text carried.
  const done = await api.submit(id, token, 'verify-phone', { code: codeIn(text?.body ?? '') });
  expect(done.body.status).toBe('completed');
  expect(message.providerMessageId).toBe(text?.sid);
  expect(twilio.messages.filter((sms) => sms.to === '+33698765432')).toHaveLength(1);
  expect(
    await stack.prisma.credential.count({ where: { userId: customer.userId, type: 'sms' } }),
  ).toBe(1);
}, 120_000);
