import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { expectProblem, rawRequest } from '../support/raw-http.js';
import { enrolTotp, nextCode } from '../support/sign-in.js';
import { bearer, freshEmail } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'data-export-test-operator-key-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const PASSWORD = 'analytical engine 1843';
const POLICY_VERSION = '2026-12-01';
const DEVICE = 'Mozilla/5.0 (X11; Linux x86_64) Parcours-Export-Test/1';
const HOUR_MS = 3_600_000;
const DAY_SECONDS = 86_400;

/*
 * The GDPR export (right of access, Art. 15; portability, Art. 20; ASVS 4.0.3 8.3.2): a customer
 * signed in recently at their account's highest level asks for a link, which downloads everything
 * held about them as JSON for ten minutes, three links a day. The link is the credential, so it is
 * kept only as its hash, and the export itself carries no secret that would let its reader sign in.
 */
describe('the GDPR data export, on real Temporal and Postgres', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  let shopSecret: string;

  interface Customer {
    email: string;
    userId: string;
    /** The registration run, which created the account and opened its first session. */
    run: string;
    journeyToken: string;
    sessionToken: string;
  }

  /** Registers through registration@3, its consent step included, granting the shop's offers. */
  async function register(): Promise<Customer> {
    const email = freshEmail('export');
    const started = await api.start('registration');
    expect(started.body).toMatchObject({ journey: 'registration', version: 3 });
    const { id, token } = started.body;
    await api.submit(id, token, 'credentials', { email, password: PASSWORD });
    const mail = await smtp.waitFor((message) => message.to.includes(email));
    await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
    const terms = await api.submit(id, token, 'terms', {
      accept: true,
      policyVersion: '2026-11-01',
    });
    expect(terms.body.step.name).toBe('consent');
    const done = await api.submit(id, token, 'consent', {
      decisions: { terms_of_use: true, shop_offers: true },
      policies: { privacy: POLICY_VERSION },
    });
    expect(done.body.status).toBe('completed');
    return {
      email,
      userId: done.body.result.user.id,
      run: id,
      journeyToken: token,
      sessionToken: done.body.result.session.token,
    };
  }

  /** A sign-in through the shop with the password and the authenticator app's code: aal 2. */
  async function signInThroughShop(customer: Customer, totpSecret: string): Promise<string> {
    const started = await api.call('POST', '/v1/journeys/login/start', {
      headers: { 'user-agent': DEVICE },
      body: { client_id: 'shop' },
    });
    expect(started.status).toBe(201);
    const { id, token } = started.body;
    const headers = { 'journey-token': token, 'user-agent': DEVICE };
    const identified = await api.call('POST', `/v1/journeys/${id}/steps/identify`, {
      headers,
      body: { email: customer.email, password: PASSWORD },
    });
    expect(identified.body.step.name).toBe('totp');
    const done = await api.call('POST', `/v1/journeys/${id}/steps/totp`, {
      headers,
      body: { code: await nextCode(totpSecret) },
    });
    expect(done.body).toMatchObject({
      status: 'completed',
      result: { type: 'session', session: { aal: 2 } },
    });
    return done.body.result.session.token;
  }

  /**
   * A customer with something of every kind: a profile value they set, the shop's document, an
   * authenticator app, and a strong sign-in through the shop on a named device.
   */
  async function customerWithEverything() {
    const customer = await register();
    const patched = await api.call('PATCH', '/v1/me', {
      headers: bearer(customer.sessionToken),
      body: { given_name: 'Ada' },
    });
    expect(patched.status).toBe(200);
    const written = await api.call('PUT', `/v1/apps/me/users/${customer.userId}/data`, {
      headers: basic('shop', shopSecret),
      body: { cart: ['difference engine'], theme: 'dark' },
    });
    expect(written.status).toBe(200);
    const totp = await enrolTotp(api, customer.sessionToken);
    const strongSession = await signInThroughShop(customer, totp.secret);
    return { ...customer, totp, strongSession };
  }

  const askExport = (sessionToken: string) =>
    api.call('POST', '/v1/me/export', { headers: bearer(sessionToken) });
  const tokenOf = (href: string) => href.slice('/v1/exports/'.length);
  const exportRows = (userId: string) =>
    stack.prisma.dataExport.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
    api = stepApiClient(stack.url);
    const added = await api.call('POST', '/v1/admin/apps', {
      headers: admin,
      body: { id: 'shop', name: 'Shop', kind: 'first_party', attributes: ['given_name', 'email'] },
    });
    expect(added.status).toBe(201);
    shopSecret = added.body.client_secret;
    for (const [id, body] of Object.entries({
      shop_offers: { name: 'Offers from the Shop', attributes: ['email'], apps: ['shop'] },
      terms_of_use: { name: 'Terms of use', required: true, policy: 'privacy' },
    })) {
      const declared = await api.call('PUT', `/v1/admin/purposes/${id}`, { headers: admin, body });
      expect(declared.status).toBe(200);
    }
    const published = await api.call('POST', '/v1/admin/policies', {
      headers: admin,
      body: {
        policy: 'privacy',
        version: POLICY_VERSION,
        locale: 'en',
        content: 'Privacy notice: you may download everything we hold about you.',
        material: true,
        effective_at: '2026-12-01T00:00:00Z',
      },
    });
    expect(published.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  it('exports every kind of data held about the customer, as a JSON attachment never cached nor sent on as a referrer (GDPR Art. 15, 20; ASVS 4.0.3 8.2.1, 14.4.6)', async () => {
    const customer = await customerWithEverything();
    // Journey events are recorded apart from the run: the registration's first is there before asking.
    await eventually('the registration run started event', () =>
      stack.prisma.journeyEvent
        .findFirst({ where: { journeyId: customer.run, type: 'started' } })
        .then((event) => event ?? undefined),
    );
    const asked = await askExport(customer.strongSession);
    expect(asked.status).toBe(201);
    expect(asked.body.href).toMatch(/^\/v1\/exports\/[A-Za-z0-9_-]{43}$/);
    const ttl = Date.parse(asked.body.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000);

    const downloaded = await rawRequest(stack.url, 'GET', asked.body.href);
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(downloaded.headers.get('content-disposition')).toMatch(
      /^attachment; filename="?parcours-export-\d{4}-\d{2}-\d{2}\.json"?$/,
    );
    expect(downloaded.headers.get('referrer-policy')).toBe('no-referrer');
    expect(downloaded.headers.get('cache-control')).toBe('no-store');

    const data = JSON.parse(downloaded.text);
    expect(data).toMatchObject({
      format: 'parcours-export/1',
      exported_at: expect.any(String),
      account: { id: customer.userId, status: 'active', created_at: expect.any(String) },
      linked_identities: [],
      subscriptions: [],
    });
    expect(data.identifiers).toEqual([
      expect.objectContaining({ type: 'email', value: customer.email, verified: true }),
    ]);
    expect(data.profile).toMatchObject({ given_name: 'Ada' });
    expect(data.app_data).toEqual({ shop: { cart: ['difference engine'], theme: 'dark' } });
    expect(data.consents).toEqual(
      expect.arrayContaining(
        ['terms_of_use', 'shop_offers'].map((purpose) =>
          expect.objectContaining({
            data_subject: customer.userId,
            purpose: expect.objectContaining({ id: purpose }),
            decision: 'granted',
            notice: expect.objectContaining({ policy: 'privacy', version: POLICY_VERSION }),
            collection: expect.objectContaining({ journey_run: customer.run, step: 'consent' }),
          }),
        ),
      ),
    );
    expect(data.sessions).toHaveLength(2);
    expect(data.sessions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ device: DEVICE, client_id: 'shop', aal: 2 }),
        expect.objectContaining({ aal: 1, amr: ['pwd'] }),
      ]),
    );
    // Factor metadata exactly as the customer's security settings list it.
    const factors = await api.call('GET', '/v1/me/factors', {
      headers: bearer(customer.strongSession),
    });
    expect(data.factors).toEqual(factors.body.factors);
    expect(data.factors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'totp', enrolled_at: expect.any(String) }),
        expect.objectContaining({ type: 'recovery_code', remaining: customer.totp.codes.length }),
      ]),
    );
    expect(data.sign_ins).toEqual([{ app: 'shop', sign_ins: 1, last_at: expect.any(String) }]);
    expect(data.profile_changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ by: 'customer', attributes: ['given_name'] }),
      ]),
    );
    expect(data.journey_events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          run: customer.run,
          journey: 'registration@3',
          type: 'started',
        }),
      ]),
    );
  });

  it('exports no secret: no password or its hash, no session or link token or hash, no TOTP key, no recovery code, no client secret', async () => {
    const customer = await customerWithEverything();
    const asked = await askExport(customer.strongSession);
    expect(asked.status).toBe(201);
    const linkToken = tokenOf(asked.body.href);
    const downloaded = await rawRequest(stack.url, 'GET', asked.body.href);
    expect(downloaded.status).toBe(200);
    const text = downloaded.text;

    const credentials = await stack.prisma.credential.findMany({
      where: { userId: customer.userId },
    });
    const passwordHash = credentials.find((row) => row.type === 'password')?.secretHash;
    expect(passwordHash).toMatch(/^\$argon2id\$/);
    const sealedKey = credentials.find((row) => row.type === 'totp')?.sealedSecret;
    expect(sealedKey).toBeTruthy();
    const sessions = await stack.prisma.session.findMany({ where: { userId: customer.userId } });
    const [link] = await exportRows(customer.userId);

    const secrets: Record<string, string> = {
      password: PASSWORD,
      'password hash': passwordHash as string,
      'sealed TOTP key (base64)': Buffer.from(sealedKey as Uint8Array).toString('base64'),
      'sealed TOTP key (hex)': Buffer.from(sealedKey as Uint8Array).toString('hex'),
      'TOTP key': customer.totp.secret,
      'registration session token': customer.sessionToken,
      'strong session token': customer.strongSession,
      'registration journey token': customer.journeyToken,
      'shop client secret': shopSecret,
      'shop client secret hash': sha256(shopSecret),
      'export link token': linkToken,
      'export link token hash': link?.tokenHash as string,
    };
    for (const [index, code] of customer.totp.codes.entries())
      secrets[`recovery code ${index + 1}`] = code;
    for (const session of sessions) secrets[`session ${session.id} token hash`] = session.tokenHash;
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret, what).toBeTruthy();
      expect(text.includes(secret), `the export holds the ${what}`).toBe(false);
    }
    expect(text).not.toMatch(/\$argon2/);

    // Nor a member meant for one: a policy's content hash is the only hash, and it is public.
    const names = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) for (const item of value) walk(item);
      else if (value && typeof value === 'object')
        for (const [name, inner] of Object.entries(value)) {
          names.add(name);
          walk(inner);
        }
    };
    walk(JSON.parse(text));
    expect(
      [...names].filter(
        (name) => name !== 'content_hash' && /secret|password|token|hash|sealed|code$/i.test(name),
      ),
    ).toEqual([]);
  });

  it('sends a sign-in older than 15 minutes to step up (403 with step_up) and makes no link (ASVS 4.0.3 3.7.1)', async () => {
    const customer = await register();
    const hourAgo = new Date(Date.now() - HOUR_MS);
    const session = await stack.prisma.session.findUniqueOrThrow({
      where: { tokenHash: sha256(customer.sessionToken) },
    });
    await stack.prisma.session.update({
      where: { id: session.id },
      data: {
        authTime: hourAgo,
        factorAuthTimes: Object.fromEntries(
          Object.keys(session.factorAuthTimes as Record<string, string>).map((factor) => [
            factor,
            hourAgo.toISOString(),
          ]),
        ),
      },
    });
    const refused = await askExport(customer.sessionToken);
    expectProblem(refused, 403, 'reauthentication_required');
    expect(refused.body).toMatchObject({
      requirement: { max_age: 900 },
      step_up: {
        method: 'POST',
        href: '/v1/journeys/step-up/start',
        body: { max_age: 900 },
      },
    });
    expect(refused.body.href).toBeUndefined();
    expect(await exportRows(customer.userId)).toEqual([]);
  });

  it('asks an account with an authenticator app for a sign-in at aal 2, however recent the password (403 with step_up)', async () => {
    const customer = await register();
    await enrolTotp(api, customer.sessionToken);
    const refused = await askExport(customer.sessionToken);
    expectProblem(refused, 403, 'stronger_authentication_required');
    expect(refused.body).toMatchObject({
      requirement: { aal: 2 },
      step_up: { method: 'POST', href: '/v1/journeys/step-up/start', body: { aal: 2 } },
    });
    expect(await exportRows(customer.userId)).toEqual([]);
  });

  it('makes three links a day and refuses a fourth with 429 export_limited, Retry-After and retryAt, making no link (ASVS 4.0.3 11.1.4)', async () => {
    const customer = await register();
    const hrefs = new Set<string>();
    for (let asked = 0; asked < 3; asked++) {
      const answer = await askExport(customer.sessionToken);
      expect(answer.status).toBe(201);
      hrefs.add(answer.body.href);
    }
    expect(hrefs.size).toBe(3);
    const first = await stack.prisma.dataExport.findFirstOrThrow({
      where: { userId: customer.userId },
      orderBy: { createdAt: 'asc' },
    });

    const refused = await askExport(customer.sessionToken);
    expectProblem(refused, 429, 'export_limited');
    expect(refused.body.href).toBeUndefined();
    const retryAfter = refused.headers.get('retry-after') ?? '';
    expect(retryAfter).toMatch(/^[1-9]\d*$/);
    expect(Number(retryAfter)).toBeLessThanOrEqual(DAY_SECONDS);
    // The day's oldest link says when: a day after it was made.
    const retryAt = new Date(first.createdAt.getTime() + DAY_SECONDS * 1000);
    expect(refused.body.retryAt).toBe(retryAt.toISOString());
    expect(Math.abs(Number(retryAfter) - (retryAt.getTime() - Date.now()) / 1000)).toBeLessThan(60);
    expect(await exportRows(customer.userId)).toHaveLength(3);
  });

  it('lets no racing requests pass the limit: eight at once make three links and five 429s', async () => {
    const customer = await register();
    // Without the customer's row lock, each request counted the same zero links and made one.
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => askExport(customer.sessionToken)),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([
      201, 201, 201, 429, 429, 429, 429, 429,
    ]);
    expect(await exportRows(customer.userId)).toHaveLength(3);
  });

  it('answers an expired link, a malformed token and an unknown one alike (404 export_not_found), and keeps only the token’s SHA-256', async () => {
    const customer = await register();
    const asked = await askExport(customer.sessionToken);
    expect(asked.status).toBe(201);
    const token = tokenOf(asked.body.href);
    const [row] = await exportRows(customer.userId);
    expect(row?.tokenHash).toBe(sha256(token));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row?.expiresAt.toISOString()).toBe(asked.body.expires_at);

    expect((await rawRequest(stack.url, 'GET', asked.body.href)).status).toBe(200);
    await stack.prisma.dataExport.update({
      where: { id: row?.id as string },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await api.call('GET', asked.body.href);
    expectProblem(expired, 404, 'export_not_found');
    for (const [what, path] of [
      ['a malformed token', '/v1/exports/not-a-token'],
      ['a token one character short', `/v1/exports/${token.slice(1)}`],
      ['an unknown well-formed token', `/v1/exports/${randomBytes(32).toString('base64url')}`],
    ]) {
      const answer = await api.call('GET', path as string);
      expectProblem(answer, 404, 'export_not_found');
      expect(answer.body, what).toEqual(expired.body);
    }
    // Only the download made while the link worked was counted.
    const after = await stack.prisma.dataExport.findUniqueOrThrow({ where: { id: row?.id } });
    expect(after.downloads).toBe(1);
  });

  it('answers 401 session_required to a request without a session, or with an unknown token, and makes no link', async () => {
    const before = await stack.prisma.dataExport.count();
    const anonymous = await api.call('POST', '/v1/me/export');
    expectProblem(anonymous, 401, 'session_required');
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="parcours"');
    const unknown = await askExport(randomBytes(32).toString('base64url'));
    expectProblem(unknown, 401, 'session_required');
    expect(unknown.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(await stack.prisma.dataExport.count()).toBe(before);
  });
});
