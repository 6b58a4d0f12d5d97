import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepApiClient } from '../support/http.js';
import { expectProblem } from '../support/raw-http.js';
import { enrolTotp } from '../support/sign-in.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'apps-and-me-test-operator-key-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('the app registry, client credentials, the catalogue and /v1/me, on real Temporal and Postgres', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  const secrets: Record<string, string> = {};

  async function addApp(app: Record<string, unknown> & { id: string }) {
    const added = await api.call('POST', '/v1/admin/apps', { headers: admin, body: app });
    expect(added.status).toBe(201);
    secrets[app.id] = added.body.client_secret;
    return added;
  }
  const asApp = (id: string) => basic(id, secrets[id] as string);
  const profileAt = (userId: string) => `/v1/apps/me/users/${userId}/profile`;

  /** A password sign-in answered at `identify` (address and password together): its session token. */
  async function signIn(
    customer: { email: string; password: string },
    options: { clientId?: string; userAgent?: string } = {},
  ): Promise<string> {
    const started = await api.call('POST', '/v1/journeys/login/start', {
      body: options.clientId ? { client_id: options.clientId } : {},
    });
    expect(started.status).toBe(201);
    const done = await api.call('POST', `/v1/journeys/${started.body.id}/steps/identify`, {
      headers: {
        'journey-token': started.body.token,
        ...(options.userAgent ? { 'user-agent': options.userAgent } : {}),
      },
      body: { email: customer.email, password: customer.password },
    });
    expect(done.body).toMatchObject({ status: 'completed', result: { type: 'session' } });
    return done.body.result.session.token;
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
    api = stepApiClient(stack.url);
    await addApp({
      id: 'shop',
      name: 'Shop',
      kind: 'first_party',
      attributes: ['given_name', 'email', 'support_tier'],
      data_limit_bytes: 256,
    });
    await addApp({ id: 'partner', name: 'Partner', kind: 'third_party', attributes: ['email'] });
    // Written by the operator only: readers may see it, nobody else may set it.
    const tier = await api.call('POST', '/v1/admin/attributes', {
      headers: admin,
      body: {
        name: 'support_tier',
        schema: { enum: ['standard', 'priority'] },
        readers: ['customer', 'other_apps', 'operator'],
        writers: ['operator'],
      },
    });
    expect(tier.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  describe('the admin API (ASVS 4.1: operator only; ASVS 2.4, 3.5: secrets kept hashed)', () => {
    it('answers 401 with a Bearer challenge to a request without the operator key', async () => {
      for (const headers of [
        {},
        { authorization: 'Bearer not-the-operator-key-0123456789abcdef' },
        basic('operator', ADMIN_KEY),
      ]) {
        const refused = await api.call('GET', '/v1/admin/apps', { headers });
        expectProblem(refused, 401, 'operator_key_required');
        expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
      }
      const unregistered = await api.call('POST', '/v1/admin/apps', {
        body: { id: 'sneaky', name: 'Sneaky', kind: 'first_party' },
      });
      expectProblem(unregistered, 401, 'operator_key_required');
      expect(await stack.prisma.app.count({ where: { id: 'sneaky' } })).toBe(0);
    });

    it('answers the client secret once, at registration, and never shows it or its hash again', async () => {
      const added = await addApp({ id: 'once', name: 'Once', kind: 'first_party' });
      expect(added.headers.get('location')).toBe('/v1/admin/apps/once');
      const secret = added.body.client_secret as string;
      expect(secret.length).toBeGreaterThanOrEqual(43);
      expect(added.body.app).toMatchObject({ client_id: 'once', name: 'Once' });
      for (const path of ['/v1/admin/apps', '/v1/admin/apps/once']) {
        const shown = await api.call('GET', path, { headers: admin });
        expect(shown.status).toBe(200);
        const text = JSON.stringify(shown.body);
        expect(text).not.toContain(secret);
        expect(text).not.toContain(sha256(secret));
        expect(text).not.toMatch(/secret_hash|secretHash|client_secret/);
      }
      const listed = await api.call('GET', '/v1/admin/apps', { headers: admin });
      expect(listed.body.apps.map((app: { client_id: string }) => app.client_id)).toContain('once');
    });

    it('keeps only the SHA-256 hex of the client secret in apps.secret_hash', async () => {
      const secret = (await addApp({ id: 'hashed', name: 'Hashed', kind: 'first_party' })).body
        .client_secret as string;
      const row = await stack.prisma.app.findUniqueOrThrow({ where: { id: 'hashed' } });
      expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.secretHash).toBe(sha256(secret));
      expect(JSON.stringify(row)).not.toContain(secret);
    });

    it('refuses a second app with the same client id (409 app_exists) and keeps the first', async () => {
      await addApp({ id: 'twice', name: 'First', kind: 'first_party' });
      const again = await api.call('POST', '/v1/admin/apps', {
        headers: admin,
        body: { id: 'twice', name: 'Second', kind: 'third_party' },
      });
      expectProblem(again, 409, 'app_exists');
      expect(again.body.client_secret).toBeUndefined();
      const kept = await api.call('GET', '/v1/admin/apps/twice', { headers: admin });
      expect(kept.body).toMatchObject({ name: 'First', kind: 'first_party' });
      const row = await stack.prisma.app.findUniqueOrThrow({ where: { id: 'twice' } });
      expect(row.secretHash).toBe(sha256(secrets.twice as string));
    });

    it("answers an invalid registration with 422 and each field's JSON pointer", async () => {
      const refused = await api.call('POST', '/v1/admin/apps', {
        headers: admin,
        body: { id: 'Not An Id!', name: '', kind: 'fourth_party', colour: 'red' },
      });
      expectProblem(refused, 422, 'invalid_input');
      expect(refused.body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
        '/colour',
        '/id',
        '/kind',
        '/name',
      ]);
      expect(await stack.prisma.app.count({ where: { name: '' } })).toBe(0);
    });
  });

  describe('client credentials (ASVS 4.1; RFC 6749 §2.3.1)', () => {
    const expectClientRefused = (answer: Awaited<ReturnType<typeof api.call>>, label: string) => {
      expect(answer.status, label).toBe(401);
      expect(answer.contentType, label).toMatch(/^application\/problem\+json/);
      expect(answer.body.code, label).toBe('client_authentication_failed');
      expect(answer.headers.get('www-authenticate'), label).toMatch(/^Basic /);
    };

    it('refuses a wrong secret, an unknown client id, no credentials and a Bearer token alike', async () => {
      const customer = await signUp(api, smtp);
      const cases: Array<[string, Record<string, string>]> = [
        ['a wrong secret', basic('shop', `${secrets.shop}x`)],
        ['an unknown client id', basic('no-such-app', secrets.shop as string)],
        ['no credentials', {}],
        ['Bearer instead of Basic', bearer(secrets.shop as string)],
      ];
      for (const [label, headers] of cases)
        expectClientRefused(await api.call('GET', profileAt(customer.userId), { headers }), label);
      expect(
        (await api.call('GET', profileAt(customer.userId), { headers: asApp('shop') })).status,
      ).toBe(200);
    });

    it('stops the old secret at once when a new one is issued; the new one works', async () => {
      const customer = await signUp(api, smtp);
      await addApp({ id: 'rotating', name: 'Rotating', kind: 'first_party' });
      const old = secrets.rotating as string;
      const rotated = await api.call('POST', '/v1/admin/apps/rotating/secret', { headers: admin });
      expect(rotated.status).toBe(200);
      expect(rotated.body).toEqual({ client_id: 'rotating', client_secret: expect.any(String) });
      const renewed = rotated.body.client_secret as string;
      expect(renewed).not.toBe(old);
      expectClientRefused(
        await api.call('GET', profileAt(customer.userId), { headers: basic('rotating', old) }),
        'the old secret',
      );
      expect(
        (
          await api.call('GET', profileAt(customer.userId), {
            headers: basic('rotating', renewed),
          })
        ).status,
      ).toBe(200);
      const row = await stack.prisma.app.findUniqueOrThrow({ where: { id: 'rotating' } });
      expect(row.secretHash).toBe(sha256(renewed));
    });

    it("refuses a removed app's credentials", async () => {
      const customer = await signUp(api, smtp);
      await addApp({ id: 'leaving', name: 'Leaving', kind: 'first_party' });
      const path = profileAt(customer.userId);
      expect((await api.call('GET', path, { headers: asApp('leaving') })).status).toBe(200);
      const removed = await api.call('DELETE', '/v1/admin/apps/leaving', { headers: admin });
      expect(removed.status).toBe(204);
      expectClientRefused(
        await api.call('GET', path, { headers: asApp('leaving') }),
        'a removed app',
      );
      expectProblem(
        await api.call('GET', '/v1/admin/apps/leaving', { headers: admin }),
        404,
        'app_not_found',
      );
    });
  });

  describe('third-party apps (ASVS 4.1)', () => {
    it('cannot reach a customer who never signed in through it, exactly as an unknown id; after a sign-in through it, it can', async () => {
      const customer = await signUp(api, smtp);
      const unreached = await api.call('GET', profileAt(customer.userId), {
        headers: asApp('partner'),
      });
      expectProblem(unreached, 404, 'user_not_found');
      const unknown = await api.call('GET', profileAt(randomUUID()), {
        headers: asApp('partner'),
      });
      expect(unknown.body).toEqual(unreached.body);
      // A first-party app's sign-in does not open the door to the partner.
      await signIn(customer, { clientId: 'shop' });
      expectProblem(
        await api.call('GET', profileAt(customer.userId), { headers: asApp('partner') }),
        404,
        'user_not_found',
      );

      await signIn(customer, { clientId: 'partner' });
      const reached = await api.call('GET', profileAt(customer.userId), {
        headers: asApp('partner'),
      });
      expect(reached.status).toBe(200);
      expect(reached.body).toEqual({ sub: customer.userId, email: customer.email });
    });
  });

  describe('the attribute catalogue', () => {
    const declare = (body: Record<string, unknown>) =>
      api.call('POST', '/v1/admin/attributes', { headers: admin, body });

    it('refuses an attribute that grants access and that the customer may write (422 at /writers)', async () => {
      const refused = await declare({
        name: 'role',
        schema: { type: 'string' },
        readers: ['operator'],
        writers: ['customer', 'operator'],
        grants_access: true,
      });
      expectProblem(refused, 422, 'invalid_input');
      expect(refused.body.errors).toEqual([expect.objectContaining({ path: '/writers' })]);
      expect(await stack.prisma.attributeDefinition.count({ where: { name: 'role' } })).toBe(0);
    });

    it("refuses a custom attribute with a standard attribute's name (422 at /name)", async () => {
      const refused = await declare({
        name: 'given_name',
        schema: { type: 'integer' },
        readers: ['operator'],
      });
      expectProblem(refused, 422, 'invalid_input');
      expect(refused.body.errors).toEqual([
        expect.objectContaining({ path: '/name', code: 'attribute_exists' }),
      ]);
      const listed = await api.call('GET', '/v1/admin/attributes', { headers: admin });
      expect(
        listed.body.attributes.find(
          (attribute: { name: string }) => attribute.name === 'given_name',
        ),
      ).toMatchObject({ standard: true, schema: { type: 'string' } });
    });

    it('an operator-only attribute: the customer is refused at its path, another app is refused, the operator writes it', async () => {
      const customer = await signUp(api, smtp);
      const byCustomer = await api.call('PATCH', '/v1/me', {
        headers: bearer(customer.sessionToken),
        body: { support_tier: 'priority' },
      });
      expectProblem(byCustomer, 403, 'attribute_not_writable');
      expect(byCustomer.body.errors).toEqual([
        expect.objectContaining({ path: '/support_tier', code: 'attribute_not_writable' }),
      ]);
      // The shop's registration lists it, so it reads it; writing is still the operator's.
      const byApp = await api.call('PATCH', profileAt(customer.userId), {
        headers: asApp('shop'),
        body: { support_tier: 'priority' },
      });
      expectProblem(byApp, 403, 'attribute_not_writable');
      expect(byApp.body.errors).toEqual([
        expect.objectContaining({ path: '/support_tier', code: 'attribute_not_writable' }),
      ]);
      expect(
        await stack.prisma.profileValue.count({
          where: { userId: customer.userId, attribute: 'support_tier' },
        }),
      ).toBe(0);

      const byOperator = await api.call('PATCH', `/v1/admin/users/${customer.userId}/profile`, {
        headers: admin,
        body: { support_tier: 'priority' },
      });
      expect(byOperator.status).toBe(200);
      expect(byOperator.body).toMatchObject({ sub: customer.userId, support_tier: 'priority' });
      const seen = await api.call('GET', '/v1/me', { headers: bearer(customer.sessionToken) });
      expect(seen.body.support_tier).toBe('priority');
      const read = await api.call('GET', profileAt(customer.userId), { headers: asApp('shop') });
      expect(read.body.support_tier).toBe('priority');
    });

    it("refuses app data larger than the app's data_limit_bytes (413 app_data_too_large) and keeps what was there", async () => {
      const customer = await signUp(api, smtp);
      const data = `/v1/apps/me/users/${customer.userId}/data`;
      const kept = await api.call('PUT', data, { headers: asApp('shop'), body: { cart: [1] } });
      expect(kept.status).toBe(200);
      const tooLarge = await api.call('PUT', data, {
        headers: asApp('shop'),
        body: { cart: [1], note: 'x'.repeat(300) },
      });
      expectProblem(tooLarge, 413, 'app_data_too_large');
      expect(tooLarge.body.errors).toEqual([
        expect.objectContaining({ code: 'app_data_too_large', limit: 256 }),
      ]);
      expect((await api.call('GET', data, { headers: asApp('shop') })).body).toEqual({
        cart: [1],
      });
      const row = await stack.prisma.appData.findUniqueOrThrow({
        where: { userId_appId: { userId: customer.userId, appId: 'shop' } },
      });
      expect(row.data).toEqual({ cart: [1] });
    });
  });

  describe('/v1/me', () => {
    it('lists the sessions with the device each was opened on, and marks the current one', async () => {
      const customer = await signUp(api, smtp);
      const phone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Parcours-Test/1';
      const token = await signIn(customer, { userAgent: phone });
      const listed = await api.call('GET', '/v1/me/sessions', { headers: bearer(token) });
      expect(listed.status).toBe(200);
      const { sessions } = listed.body;
      expect(sessions).toHaveLength(2);
      const current = sessions.filter((session: { current: boolean }) => session.current);
      expect(current).toEqual([expect.objectContaining({ device: phone, aal: 1, amr: ['pwd'] })]);
      const other = sessions.find((session: { current: boolean }) => !session.current);
      expect(other.device).not.toBe(phone);
      expect(JSON.stringify(listed.body)).not.toContain(token);
      expect(JSON.stringify(listed.body)).not.toContain(customer.sessionToken);
    });

    it('logs out every other session at once and keeps the current one', async () => {
      const customer = await signUp(api, smtp);
      const current = await signIn(customer);
      const third = await signIn(customer);
      const revoked = await api.call('DELETE', '/v1/me/sessions', { headers: bearer(current) });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({ revoked: 2 });
      for (const other of [customer.sessionToken, third])
        expect((await api.call('GET', '/v1/me', { headers: bearer(other) })).status).toBe(401);
      expect((await api.call('GET', '/v1/me', { headers: bearer(current) })).status).toBe(200);
      const listed = await api.call('GET', '/v1/me/sessions', { headers: bearer(current) });
      expect(listed.body.sessions).toEqual([expect.objectContaining({ current: true })]);
    });

    it("answers 404 session_not_found for another customer's session, which keeps working (ASVS 4.1)", async () => {
      const mallory = await signUp(api, smtp);
      const victim = await signUp(api, smtp);
      const [victimSession] = (
        await api.call('GET', '/v1/me/sessions', { headers: bearer(victim.sessionToken) })
      ).body.sessions;
      const refused = await api.call('DELETE', `/v1/me/sessions/${victimSession.id}`, {
        headers: bearer(mallory.sessionToken),
      });
      expectProblem(refused, 404, 'session_not_found');
      expect(
        (await api.call('GET', '/v1/me', { headers: bearer(victim.sessionToken) })).status,
      ).toBe(200);
      const unknown = await api.call('DELETE', `/v1/me/sessions/${randomUUID()}`, {
        headers: bearer(mallory.sessionToken),
      });
      expect(unknown.body).toEqual(refused.body);
    });

    it('starts email-change@1 from POST /v1/me/email: 201, its Location, the new-email step', async () => {
      const customer = await signUp(api, smtp);
      const started = await api.call('POST', '/v1/me/email', {
        headers: bearer(customer.sessionToken),
      });
      expect(started.status).toBe(201);
      expect(started.headers.get('location')).toBe(`/v1/journeys/${started.body.id}`);
      expect(started.body).toMatchObject({
        journey: 'email-change',
        version: 1,
        status: 'active',
        step: { name: 'new-email' },
        token: expect.any(String),
      });
      const view = await api.get(started.body.id, started.body.token);
      expect(view.body.step.name).toBe('new-email');
    });

    it('sends an old sign-in to step up before an email change (403 with step_up)', async () => {
      const customer = await signUp(api, smtp);
      // An old sign-in: the session's auth_time is pushed back an hour.
      await stack.prisma.session.updateMany({
        where: { userId: customer.userId },
        data: { authTime: new Date(Date.now() - 3_600_000) },
      });
      const refused = await api.call('POST', '/v1/me/email', {
        headers: bearer(customer.sessionToken),
      });
      expectProblem(refused, 403, 'reauthentication_required');
      expect(refused.body).toMatchObject({
        step_up: {
          method: 'POST',
          href: '/v1/journeys/step-up/start',
          body: { max_age: expect.any(Number) },
        },
      });
      expect(refused.headers.get('location')).toBeNull();
    });

    it('refuses to remove a factor from an aal 1 session: 403 stronger_authentication_required with step_up', async () => {
      const customer = await signUp(api, smtp);
      await enrolTotp(api, customer.sessionToken);
      const factors = await api.call('GET', '/v1/me/factors', {
        headers: bearer(customer.sessionToken),
      });
      const totp = factors.body.factors.find((factor: { type: string }) => factor.type === 'totp');
      const refused = await api.call('DELETE', `/v1/me/factors/${totp.id}`, {
        headers: bearer(customer.sessionToken),
      });
      expectProblem(refused, 403, 'stronger_authentication_required');
      expect(refused.body).toMatchObject({
        requirement: { aal: 2 },
        step_up: { method: 'POST', href: '/v1/journeys/step-up/start', body: { aal: 2 } },
      });
      expect(
        await stack.prisma.credential.count({
          where: { userId: customer.userId, type: 'totp', confirmedAt: { not: null } },
        }),
      ).toBe(1);
    });

    it('takes an RFC 7396 merge patch (application/merge-patch+json): null removes an attribute', async () => {
      const customer = await signUp(api, smtp);
      const patch = (body: unknown) =>
        api.call('PATCH', '/v1/me', {
          headers: {
            ...bearer(customer.sessionToken),
            'content-type': 'application/merge-patch+json',
          },
          raw: JSON.stringify(body),
        });
      const set = await patch({ given_name: 'Ada', family_name: 'Byron' });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ given_name: 'Ada', family_name: 'Byron' });
      const removed = await patch({ family_name: null });
      expect(removed.status).toBe(200);
      expect(removed.body.given_name).toBe('Ada');
      expect(removed.body).not.toHaveProperty('family_name');
      expect(
        await stack.prisma.profileValue.count({
          where: { userId: customer.userId, attribute: 'family_name' },
        }),
      ).toBe(0);
    });
  });
});
