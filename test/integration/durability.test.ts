import type { ChildProcess } from 'node:child_process';
import { generate } from 'otplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeIn, stepApiClient } from '../support/http.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';
import { killHard, startWorkerProcess } from '../support/worker-process.js';

let smtp: SmtpSink;
let stack: Stack;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  smtp = await startSmtpSink();
  stack = await startStack({ smtpUrl: smtp.url, withoutWorker: true });
});
afterAll(async () => {
  for (const worker of workers) await killHard(worker);
  await stack?.stop();
  await smtp?.close();
});

async function deliveryRecorded(id: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const history = await stack.temporal.workflow.getHandle(id).fetchHistory();
    if (history.events?.some((event) => event.activityTaskCompletedEventAttributes)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the code email delivery never completed');
}

it('finishes a registration on a new worker after the first is SIGKILLed, with one user and one code email', async () => {
  const api = stepApiClient(stack.url);
  workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url }));

  const { id, token } = (await api.start()).body;
  await api.submit(id, token, 'credentials', {
    email: 'crash@example.com',
    password: 'survives a sudden power cut',
  });
  const mail = await smtp.waitFor((message) => message.to.includes('crash@example.com'), 20_000);
  await deliveryRecorded(id);

  await killHard(workers[0] as ChildProcess);
  workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url }));

  const verified = await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
  expect(verified.body.step?.name).toBe('terms');
  const done = await api.submit(id, token, 'terms', { accept: true, policyVersion: '2026-11-01' });
  expect(done.body.status).toBe('completed');

  expect(await stack.prisma.identifier.count({ where: { value: 'crash@example.com' } })).toBe(1);
  expect(await stack.prisma.user.count()).toBe(1);
  expect(await stack.prisma.session.count()).toBe(1);
  expect(smtp.messages.filter((message) => message.to.includes('crash@example.com'))).toHaveLength(
    1,
  );
  expect(await stack.prisma.outboundMessage.count()).toBe(1);
});

it('finishes a sign-in on a new worker after the first is SIGKILLed at the second factor, with one session for it', async () => {
  const api = stepApiClient(stack.url);
  if (!workers.at(-1) || workers.at(-1)?.exitCode !== null)
    workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url }));
  const customer = await signUp(
    api,
    smtp,
    'crash-login@example.com',
    'survives a second power cut',
  );
  const enrolment = await api.call('POST', '/v1/journeys/mfa-enrolment/start', {
    headers: bearer(customer.sessionToken),
  });
  const secret = enrolment.body.step.data.secret as string;
  const shown = await api.submit(enrolment.body.id, enrolment.body.token, 'confirm-totp', {
    code: await generate({ secret }),
  });
  await api.submit(enrolment.body.id, enrolment.body.token, 'recovery-codes', { saved: true });
  expect(shown.body.step.name).toBe('recovery-codes');

  const { id, token } = (await api.start('login')).body;
  await api.submit(id, token, 'identify', { email: customer.email });
  const atFactor = await api.submit(id, token, 'password', { password: customer.password });
  expect(atFactor.body.step.name).toBe('totp');

  await killHard(workers.at(-1) as ChildProcess);
  workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url }));

  const done = await api.submit(id, token, 'totp', {
    code: await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }),
  });
  expect(done.body).toMatchObject({ status: 'completed', result: { session: { aal: 2 } } });
  expect(await stack.prisma.session.count({ where: { createdByJourney: id } })).toBe(1);
  expect(await stack.prisma.session.count({ where: { userId: customer.userId } })).toBe(2);
});

it('answers a submission that reaches a run with its first task (no worker had picked it up yet) from the step it led to', async () => {
  const api = stepApiClient(stack.url);
  for (const worker of workers) await killHard(worker);
  // The start answers from the journey's initial view; no worker has run the workflow yet.
  const { id, token } = (await api.start()).body;
  const submitted = api.submit(id, token, 'credentials', {
    email: 'first-task@example.com',
    password: 'submitted before any worker ran',
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url }));

  const answer = await submitted;
  expect(answer.body).toMatchObject({ status: 'active', step: { name: 'verify-email' } });
  // Its journey events tell it in order: the start, the step it answered, its submission, and the
  // step it waits at now (written as the step was answered).
  await expect
    .poll(
      async () =>
        (
          await stack.prisma.journeyEvent.findMany({
            where: { journeyId: id },
            orderBy: { seq: 'asc' },
          })
        ).map((event) => [event.type, event.step]),
      { timeout: 10_000 },
    )
    .toEqual([
      ['started', null],
      ['step_entered', 'credentials'],
      ['step_submitted', 'credentials'],
      ['step_entered', 'verify-email'],
    ]);
});

it('takes two first submissions that reach the run in its first task: one enters, the other answers 409', async () => {
  const api = stepApiClient(stack.url);
  for (const worker of workers) await killHard(worker);
  const { id, token } = (await api.start()).body;
  // Both updates pass their validators against the run's first step before either handler runs:
  // the second must be refused as it enters, not fail the run's task.
  const submitted = Promise.all(
    ['first-of-two@example.com', 'second-of-two@example.com'].map((email) =>
      api.submit(id, token, 'credentials', { email, password: 'two at once, one goes in' }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url }));
  const answers = await submitted;
  expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
  expect(answers.find((answer) => answer.status === 409)?.body.code).toMatch(
    /^(journey_busy|step_not_current)$/,
  );
});

it('counts a refused submission that reaches the run in one task with the submission that moves it on', async () => {
  const api = stepApiClient(stack.url);
  if (workers.at(-1)?.exitCode !== null || workers.at(-1)?.signalCode !== null)
    workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url }));
  const { id, token } = (await api.start()).body;
  // The run waits at credentials, opened by the step API; its worker is gone for a moment. The API
  // still refuses a weak password (the run's first step is its own view) and starts the run to be
  // told of it: the refusal and the next submission reach the run in its first task.
  for (const worker of workers) await killHard(worker);
  const refused = await api.submit(id, token, 'credentials', {
    email: 'refused-then-moved@example.com',
    password: 'password1234',
  });
  expect(refused.body).toMatchObject({ code: 'invalid_input' });
  const submitted = api.submit(id, token, 'credentials', {
    email: 'refused-then-moved@example.com',
    password: 'counted before it moved on',
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  workers.push(await startWorkerProcess(stack, { SMTP_URL: smtp.url }));
  expect((await submitted).body).toMatchObject({ step: { name: 'verify-email' } });

  await expect
    .poll(
      async () =>
        (
          await stack.prisma.journeyEvent.findMany({
            where: { journeyId: id, type: { in: ['step_submitted', 'step_rejected'] } },
            orderBy: { seq: 'asc' },
          })
        ).map((event) => [event.type, event.step, (event.detail as { code?: string })?.code]),
      { timeout: 10_000 },
    )
    .toEqual([
      ['step_submitted', 'credentials', undefined],
      ['step_rejected', 'credentials', 'password_common'],
      ['step_submitted', 'credentials', undefined],
    ]);
});
