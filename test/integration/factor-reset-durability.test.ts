import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeIn, stepApiClient } from '../support/http.js';
import { enrolTotp } from '../support/sign-in.js';
import { signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';
import { killHard, startWorkerProcess } from '../support/worker-process.js';

let smtp: SmtpSink;
let stack: Stack;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  smtp = await startSmtpSink();
  stack = await startStack({
    smtpUrl: smtp.url,
    withoutWorker: true,
    journeySettings: { 'factor-reset': { waitMs: 8_000, reminderBeforeMs: 4_000 } },
  });
});
afterAll(async () => {
  for (const worker of workers) await killHard(worker);
  await stack?.stop();
  await smtp?.close();
});

it('resets the factors on time though the worker that scheduled it was SIGKILLed: the timer is Temporal’s', async () => {
  const api = stepApiClient(stack.url);
  workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url }));
  const customer = await signUp(api, smtp);
  await enrolTotp(api, customer.sessionToken);
  const { id, token } = (await api.start('factor-reset')).body;
  await api.submit(id, token, 'email', { email: customer.email });
  const mail = await smtp.waitFor(
    (message) => message.to.includes(customer.email) && message.subject.includes('recovery'),
  );
  const answer = await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
  expect(answer.body.result).toMatchObject({ type: 'scheduled' });
  await killHard(workers[0] as ChildProcess);
  // No worker at all for a while, then a new one: the reminder and the reset still come.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url }));
  await smtp.waitFor(
    (message) => message.to.includes(customer.email) && message.subject.includes('were removed'),
    30_000,
  );
  expect(
    await stack.prisma.credential.count({
      where: { userId: customer.userId, type: { in: ['totp', 'recovery_code'] } },
    }),
  ).toBe(0);
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(answer.body.result.at));
}, 90_000);
