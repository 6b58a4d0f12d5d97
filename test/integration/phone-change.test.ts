import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn, stepApiClient } from '../support/http.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';
import { startTwilioFake, type TwilioFake } from '../support/twilio-fake.js';

/**
 * The profile's phone number through `/v1/me/phone` (phone-change@1): verified only by a code
 * texted to it, with the real `twilio` client against a fake of Twilio's HTTP API. A number typed
 * into the profile stays unverified.
 */
describe('changing the profile phone number by a texted code', () => {
  let smtp: SmtpSink;
  let twilio: TwilioFake;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    twilio = await startTwilioFake();
    stack = await startStack({
      smtpUrl: smtp.url,
      env: {
        PARCOURS_PUBLIC_URL: 'https://id.example.test',
        TWILIO_ACCOUNT_SID: twilio.accountSid,
        TWILIO_AUTH_TOKEN: twilio.authToken,
        TWILIO_FROM: '+15005550006',
        TWILIO_API_URL: twilio.url,
        SMS_COUNTRIES: 'FR',
      },
    });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await twilio?.close();
    await smtp?.close();
  });

  async function textTo(phone: string) {
    for (let waited = 0; waited < 10_000; waited += 50) {
      const text = twilio.messages.find((message) => message.to === phone);
      if (text) return text;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no text to ${phone}`);
  }

  it('a typed number is unverified; POST /v1/me/phone verifies one by its code, seen at once by /v1/me', async () => {
    const customer = await signUp(api, smtp);
    const typed = await api.call('PATCH', '/v1/me', {
      headers: bearer(customer.sessionToken),
      body: { phone_number: '+33 6 12 34 56 90' },
    });
    expect(typed.status).toBe(200);
    expect(typed.body).toMatchObject({
      phone_number: '+33612345690',
      phone_number_verified: false,
    });

    const started = await api.call('POST', '/v1/me/phone', {
      headers: bearer(customer.sessionToken),
    });
    expect(started.status).toBe(201);
    expect(started.headers.get('location')).toBe(`/v1/journeys/${started.body.id}`);
    expect(started.body).toMatchObject({ journey: 'phone-change', step: { name: 'new-phone' } });
    const { id, token } = started.body;
    const asked = await api.submit(id, token, 'new-phone', { phone_number: '+33 6 12 34 56 91' });
    expect(asked.body.step).toMatchObject({ name: 'verify-phone' });
    const text = await textTo('+33612345691');
    const wrong = await api.submit(id, token, 'verify-phone', {
      code: codeIn(text.body) === '000000' ? '111111' : '000000',
    });
    expect(wrong.status).toBe(422);
    const done = await api.submit(id, token, 'verify-phone', { code: codeIn(text.body) });
    expect(done.body).toMatchObject({ status: 'completed', result: { type: 'none' } });
    const me = await api.call('GET', '/v1/me', { headers: bearer(customer.sessionToken) });
    expect(me.body).toMatchObject({ phone_number: '+33612345691', phone_number_verified: true });
    const changes = await stack.prisma.profileChange.findMany({
      where: { userId: customer.userId },
    });
    expect(changes.map((change) => [change.actor, change.attributes])).toEqual(
      expect.arrayContaining([
        ['customer', ['phone_number']],
        ['journey', ['phone_number', 'phone_number_verified']],
      ]),
    );
  });

  it('the customer cannot write phone_number_verified (403), by /v1/me', async () => {
    const customer = await signUp(api, smtp);
    const refused = await api.call('PATCH', '/v1/me', {
      headers: bearer(customer.sessionToken),
      body: { phone_number_verified: true },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: '/phone_number_verified', code: 'attribute_not_writable' }),
    ]);
  });
});
