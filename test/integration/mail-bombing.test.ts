import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

let smtp: SmtpSink;
let stack: Stack;

beforeAll(async () => {
  smtp = await startSmtpSink();
  // One trusted proxy hop: X-Forwarded-For names the client, so tests can be several requesters.
  // A requester's allowance stays below the address's, as by default (5 and 10).
  stack = await startStack({
    smtpUrl: smtp.url,
    env: { CODES_PER_RECIPIENT_PER_HOUR: '3', CODES_PER_REQUESTER_PER_HOUR: '2', TRUST_PROXY: '1' },
  });
});
afterAll(async () => {
  await stack?.stop();
  await smtp?.close();
});

/** Starts a sign-up for an address (from `client`, an address the proxy saw) and answers the view at verify-email. */
async function signUp(email: string, client?: string) {
  const api = stepApiClient(stack.url);
  const headers: Record<string, string> = client ? { 'x-forwarded-for': client } : {};
  const { id, token } = (await api.call('POST', '/v1/journeys/registration/start', { headers }))
    .body;
  const answer = await api.submit(id, token, 'credentials', {
    email,
    password: 'an inbox under siege',
  });
  return {
    id,
    token,
    status: answer.status,
    step: answer.body.step.name,
    data: answer.body.step.data,
  };
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

it("sends one requester no more codes an hour for an address than the requester's allowance, with answers that do not show it (OWASP WSTG-BUSL-05)", async () => {
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

it("leaves the owner a code after a stranger's requests: one requester cannot spend the address's allowance alone", async () => {
  // A stranger asks again and again from one network.
  for (let attempt = 0; attempt < 4; attempt += 1)
    await signUp('owner@example.com', '198.51.100.7');
  expect(await deliveredTo('owner@example.com')).toBe(2);
  // The owner asks from their own network: their code arrives, and it works.
  const owner = await signUp('owner@example.com', '203.0.113.50');
  expect(await deliveredTo('owner@example.com')).toBe(3);
  const [, , mail] = smtp.messages.filter((message) => message.to.includes('owner@example.com'));
  const verified = await stepApiClient(stack.url).submit(owner.id, owner.token, 'verify-email', {
    code: codeIn(mail?.text ?? ''),
  });
  expect(verified.body.step.name).toBe('terms');
});

it('sends an address no more codes an hour than its allowance whoever asks: a requester never seen gets none past it (OWASP WSTG-BUSL-05)', async () => {
  await signUp('ceiling@example.com', '198.51.100.21');
  await signUp('ceiling@example.com', '198.51.100.21');
  await signUp('ceiling@example.com', '198.51.100.22');
  expect(await deliveredTo('ceiling@example.com')).toBe(3);
  const fresh = await signUp('ceiling@example.com', '192.0.2.99');
  expect(fresh.step).toBe('verify-email');
  expect(await deliveredTo('ceiling@example.com')).toBe(3);
  const kept = await stack.prisma.outboundMessage.findMany({
    where: { recipient: 'ceiling@example.com', status: 'suppressed' },
  });
  expect(kept.map((message) => message.journeyId)).toEqual([fresh.id]);
});

it.each([
  ['one IPv6 /64', (i: number) => `2001:db8:64:1::${(i + 1).toString(16)}`],
  // One customer's site: 24 of its 256 /64s.
  ['one IPv6 /56', (i: number) => `2001:db8:56:${i.toString(16)}::1`],
])('counts 24 addresses inside %s as one requester: 2 codes of 24, not 24', async (_, address) => {
  const victim = `rotated-${address(0).split(':')[2]}@example.com`;
  for (let i = 0; i < 24; i += 1) await signUp(victim, address(i));
  expect(await deliveredTo(victim)).toBe(2);
});

it('counts concurrent requests one at a time: no more codes than the allowance, however many arrive at once', async () => {
  // Six requesters at once, each within its own allowance: the address's allowance holds.
  const answers = await Promise.all(
    Array.from({ length: 6 }, (_, i) => signUp('crowd@example.com', `198.51.100.${30 + i}`)),
  );
  expect(answers.map((answer) => answer.step)).toEqual(answers.map(() => 'verify-email'));
  expect(await deliveredTo('crowd@example.com')).toBe(3);
});
