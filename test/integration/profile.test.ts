import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepApiClient } from '../support/http.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'profile-test-operator-key-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});

describe('one profile for every app: /v1/me, the app API and the catalogue, on real Temporal and Postgres', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
    api = stepApiClient(stack.url);
    for (const app of [
      { id: 'shop', name: 'Shop', kind: 'first_party', attributes: ['given_name', 'email'] },
      {
        id: 'partner',
        name: 'Partner',
        kind: 'third_party',
        attributes: ['given_name'],
        data_limit_bytes: 1024,
      },
    ]) {
      const added = await api.call('POST', '/v1/admin/apps', { headers: admin, body: app });
      expect(added.status).toBe(201);
      secrets[app.id] = added.body.client_secret;
    }
    const tier = await api.call('POST', '/v1/admin/attributes', {
      headers: admin,
      body: {
        name: 'loyalty_tier',
        schema: { enum: ['bronze', 'silver', 'gold'] },
        owner_app: 'shop',
        readers: ['customer', 'owning_app', 'operator'],
        writers: ['owning_app', 'operator'],
        grants_access: true,
      },
    });
    expect(tier.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  it('a change through /v1/me is seen at once by the app API', async () => {
    const customer = await signUp(api, smtp);
    const patched = await api.call('PATCH', '/v1/me', {
      headers: bearer(customer.sessionToken),
      body: { given_name: 'Ada', family_name: 'Lovelace' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      given_name: 'Ada',
      family_name: 'Lovelace',
      email: customer.email,
    });
    const read = await api.call('GET', `/v1/apps/me/users/${customer.userId}/profile`, {
      headers: basic('shop', secrets.shop as string),
    });
    expect(read.status).toBe(200);
    // The shop's registration lists given_name and email, not family_name.
    expect(read.body).toEqual({ sub: customer.userId, given_name: 'Ada', email: customer.email });
  });

  it('an invalid attribute answers 422 with its JSON pointer, and nothing is kept', async () => {
    const customer = await signUp(api, smtp);
    const refused = await api.call('PATCH', '/v1/me', {
      headers: bearer(customer.sessionToken),
      body: { given_name: 'Ada', birthdate: '2999-01-01', zoneinfo: 'Mars/Olympus' },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      '/birthdate',
      '/zoneinfo',
    ]);
    const me = await api.call('GET', '/v1/me', { headers: bearer(customer.sessionToken) });
    expect(me.body.given_name).toBeUndefined();
  });

  it('the customer cannot write an operator-only attribute through /v1/me (403, its path)', async () => {
    const customer = await signUp(api, smtp);
    const refused = await api.call('PATCH', '/v1/me', {
      headers: bearer(customer.sessionToken),
      body: { loyalty_tier: 'gold' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      code: 'attribute_not_writable',
      errors: [{ path: '/loyalty_tier', code: 'attribute_not_writable' }],
    });
  });

  it('an app cannot write what the catalogue gives it read-only; the owner can', async () => {
    const customer = await signUp(api, smtp);
    const path = `/v1/apps/me/users/${customer.userId}/profile`;
    const refused = await api.call('PATCH', path, {
      headers: basic('shop', secrets.shop as string),
      body: { given_name: 'Mallory' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: '/given_name', code: 'attribute_not_writable' }),
    ]);
    const owned = await api.call('PATCH', path, {
      headers: basic('shop', secrets.shop as string),
      body: { loyalty_tier: 'gold' },
    });
    expect(owned.status).toBe(200);
    expect(owned.body.loyalty_tier).toBe('gold');
  });

  it('an app reads and writes its own namespace only, within its size limit', async () => {
    const customer = await signUp(api, smtp);
    const shop = basic('shop', secrets.shop as string);
    const data = `/v1/apps/me/users/${customer.userId}/data`;
    expect((await api.call('PUT', data, { headers: shop, body: { cart: [1, 2] } })).status).toBe(
      200,
    );
    const other = await api.call('GET', `${data}/partner`, { headers: shop });
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('app_data_forbidden');
    expect((await api.call('GET', `${data}/shop`, { headers: shop })).body).toEqual({
      cart: [1, 2],
    });
  });

  it('sensitive changes need a recent sign-in: 403 with the step_up link', async () => {
    const customer = await signUp(api, smtp);
    // An old sign-in: the session's auth_time is pushed back past the 15 minutes.
    await stack.prisma.session.updateMany({
      where: { userId: customer.userId },
      data: { authTime: new Date(Date.now() - 3_600_000) },
    });
    const refused = await api.call('PATCH', '/v1/me', {
      headers: bearer(customer.sessionToken),
      body: { address: { locality: 'London' } },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      code: 'reauthentication_required',
      step_up: { method: 'POST', href: '/v1/journeys/step-up/start', body: { max_age: 900 } },
    });
  });

  it('revoking a session from /v1/me stops its token at once', async () => {
    const customer = await signUp(api, smtp);
    const sessions = await api.call('GET', '/v1/me/sessions', {
      headers: bearer(customer.sessionToken),
    });
    expect(sessions.status).toBe(200);
    const [current] = sessions.body.sessions;
    expect(current).toMatchObject({ current: true });
    const revoked = await api.call('DELETE', `/v1/me/sessions/${current.id}`, {
      headers: bearer(customer.sessionToken),
    });
    expect(revoked.status).toBe(204);
    expect(
      (await api.call('GET', '/v1/me', { headers: bearer(customer.sessionToken) })).status,
    ).toBe(401);
  });

  // PostgreSQL refuses NUL in text and jsonb (the write failed as a 500) and would store half a
  // surrogate pair as U+FFFD: refused on every path before any route reads the body.
  it('refuses text the database could not keep as sent, with its path, on every path', async () => {
    const customer = await signUp(api, smtp);
    const me = await api.call('PATCH', '/v1/me', {
      headers: { ...bearer(customer.sessionToken), 'content-type': 'application/json' },
      raw: '{"given_name":"Ada\\u0000"}',
    });
    expect(me.status).toBe(422);
    expect(me.body.errors).toEqual([
      expect.objectContaining({ path: '/given_name', code: 'invalid_character' }),
    ]);
    const app = await api.call('PATCH', '/v1/admin/apps/shop', {
      headers: { ...admin, 'content-type': 'application/json' },
      raw: '{"purposes":["ok","x\\ud800"]}',
    });
    expect(app.status).toBe(422);
    expect(app.body.errors).toEqual([expect.objectContaining({ path: '/purposes/1' })]);
    const data = await api.call('PUT', `/v1/apps/me/users/${customer.userId}/data`, {
      headers: { ...basic('shop', secrets.shop as string), 'content-type': 'application/json' },
      raw: '{"cart\\u0000":1}',
    });
    expect(data.status).toBe(422);
    const started = await api.start('registration');
    const step = await api.call('POST', `/v1/journeys/${started.body.id}/steps/credentials`, {
      headers: { 'journey-token': started.body.token, 'content-type': 'application/json' },
      raw: '{"email":"a\\u0000@example.com","password":"correct horse battery staple"}',
    });
    expect(step.status).toBe(422);
    expect(
      (await api.call('GET', '/v1/me', { headers: bearer(customer.sessionToken) })).body,
    ).not.toHaveProperty('given_name');
  });
});
