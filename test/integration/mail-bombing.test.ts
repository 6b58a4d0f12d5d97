import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { stepApiClient } from '../support/http.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

let smtp: SmtpSink;
let stack: Stack;

beforeAll(async () => {
  smtp = await startSmtpSink();
  stack = await startStack({ smtpUrl: smtp.url, env: { CODES_PER_RECIPIENT_PER_HOUR: '2' } });
});
afterAll(async () => {
  await stack?.stop();
  await smtp?.close();
});

/** Starts a sign-up for an address and answers the view the customer sees at verify-email. */
async function signUp(email: string) {
  const api = stepApiClient(stack.url);
  const { id, token } = (await api.start()).body;
  const answer = await api.submit(id, token, 'credentials', {
    email,
    password: 'an inbox under siege',
  });
  return { id, status: answer.status, step: answer.body.step.name, data: answer.body.step.data };
}

/** Mail that reached the SMTP server for an address, once every message for it has been handled. */
const deliveredTo = async (email: string) => {
  await eventually(`every message to ${email} handled`, async () => {
    const pending = await stack.prisma.outboundMessage.count({
      where: { recipient: email, status: 'pending' },
    });
    return pending === 0 ? true : undefined;
  });
  return smtp.messages.filter((message) => message.to.includes(email)).length;
};

it('sends an address no more codes an hour than its allowance, with answers that do not show it (OWASP WSTG-BUSL-05)', async () => {
  const answers = [];
  for (let attempt = 0; attempt < 4; attempt += 1) answers.push(await signUp('victim@example.com'));
  expect(
    answers.map(({ status, step, data }) => [
      status,
      step,
      Object.keys(data).sort(),
      data.codeStatus,
    ]),
  ).toEqual(
    answers.map(() => [
      200,
      'verify-email',
      ['attemptsLeft', 'codeLength', 'codeStatus', 'email', 'expiresAt', 'resendAvailableAt'],
      'sent',
    ]),
  );
  expect(await deliveredTo('victim@example.com')).toBe(2);
  const suppressed = await stack.prisma.outboundMessage.findMany({
    where: { recipient: 'victim@example.com', status: 'suppressed' },
  });
  expect(suppressed.map((message) => message.journeyId).sort()).toEqual(
    [answers[2]?.id, answers[3]?.id].sort(),
  );

  // Another address is not held back by the first one's limit.
  await signUp('bystander@example.com');
  expect(await deliveredTo('bystander@example.com')).toBe(1);
});
