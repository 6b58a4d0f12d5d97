import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ErrorCode, errorCatalogue } from '../../src/errors/catalogue.js';
import { problemType } from '../../src/http/problem.js';
import { startApiVariant } from '../support/api-variant.js';
import { eventually } from '../support/eventually.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { expectProblem, rawRequest } from '../support/raw-http.js';
import { type Stack, startStack } from '../support/stack.js';

const PASSWORD = 'correct horse battery staple';
const TERMS_VERSION = '2026-11-01';

interface OutboxMessage {
  id: string;
  to: string;
  template: string;
  status: string;
  createdAt: string;
  subject: string;
  text: string;
}

describe('the step API contract (real HTTP, Temporal and Postgres; mail kept in the dev outbox)', () => {
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;

  beforeAll(async () => {
    // No SMTP: mail stays readable in the dev outbox, which is how these tests read codes.
    stack = await startStack({ devOutbox: true });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const outbox = async (): Promise<OutboxMessage[]> =>
    (await api.call('GET', '/dev/outbox', { headers: { accept: 'application/json' } })).body
      .messages;

  /** A run's journey events as [type, step], once the event `last` is recorded. */
  const recordedEvents = (id: string, last: string) =>
    eventually(`${last} of ${id} recorded`, async () => {
      const rows = await stack.prisma.journeyEvent.findMany({
        where: { journeyId: id },
        orderBy: { seq: 'asc' },
      });
      return rows.some((row) => row.type === last)
        ? rows.map((row) => [row.type, row.step])
        : undefined;
    });

  /** A journey moved on to verify-email for `email`; its code is read from the dev outbox. */
  async function atVerifyEmail(email: string) {
    const { id, token, step } = (await api.start()).body;
    const view = (await api.submit(id, token, 'credentials', { email, password: PASSWORD })).body;
    expect(view.step.name).toBe('verify-email');
    const mail = (await outbox()).find((message) => message.to === email);
    if (!mail) throw new Error(`no mail to ${email} in the dev outbox`);
    return { id, token, code: codeIn(mail.text), first: step, view };
  }

  it('lists every journey version, its steps and its start (where, and the JSON Schema of its body) at GET /v1/journeys, the newest marked latest', async () => {
    const answer = await api.call('GET', '/v1/journeys');
    expect(answer.status).toBe(200);
    expect(answer.body.journeys).toEqual(
      expect.arrayContaining([
        {
          journey: 'registration',
          version: 1,
          title: expect.any(String),
          latest: false,
          steps: ['credentials', 'verify-email', 'terms'],
          start: {
            method: 'POST',
            href: '/v1/journeys/registration@1/start',
            schema: expect.objectContaining({ properties: {}, additionalProperties: false }),
          },
        },
        {
          journey: 'registration',
          version: 2,
          title: expect.any(String),
          latest: false,
          steps: ['credentials', 'verify-email', 'terms'],
          start: {
            method: 'POST',
            href: '/v1/journeys/registration@2/start',
            schema: expect.objectContaining({
              properties: expect.objectContaining({ login_hint: expect.any(Object) }),
            }),
          },
        },
        {
          journey: 'registration',
          version: 3,
          title: expect.any(String),
          latest: true,
          steps: ['credentials', 'verify-email', 'terms', 'consent'],
          start: {
            method: 'POST',
            href: '/v1/journeys/registration@3/start',
            schema: expect.objectContaining({
              properties: expect.objectContaining({ login_hint: expect.any(Object) }),
            }),
          },
        },
      ]),
    );
  });

  it("takes at each version's start exactly the body its published schema describes: registration@1 none, registration@2 its start fields", async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    const listed = (await api.call('GET', '/v1/journeys')).body.journeys;
    for (const version of [1, 2]) {
      const path = `/v1/journeys/registration@${version}/start`;
      const schema = listed.find(
        (entry: { journey: string; version: number }) =>
          entry.journey === 'registration' && entry.version === version,
      ).start.schema;
      // One schema, in the list and in the document: the version's own, not every version's.
      expect(doc.paths[path].post.requestBody.content['application/json'].schema).toEqual({
        $ref: `#/components/schemas/registration.v${version}.start`,
      });
      expect(doc.components.schemas[`registration.v${version}.start`]).toEqual(schema);
    }
    const locales = { ui_locales: 'fr-CA fr' };
    expect((await api.call('POST', '/v1/journeys/registration@1/start')).status).toBe(201);
    const refused = await api.call('POST', '/v1/journeys/registration@1/start', { body: locales });
    expectProblem(refused, 422, 'invalid_input');
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: '/ui_locales', code: 'unknown_field' }),
    ]);
    for (const path of ['/v1/journeys/registration@2/start', '/v1/journeys/registration/start'])
      expect((await api.call('POST', path, { body: locales })).status, path).toBe(201);
  });

  it("describes a return address by the allow-list's own pattern, which the start applies, and leaves the field out where nothing is allowed", async () => {
    // This stack allows none: no start schema offers one (each is strict, so it is refused).
    const none = (await api.call('GET', '/openapi.json')).body.components.schemas;
    expect(none['registration.v2.start'].properties).not.toHaveProperty('return_to');
    expectProblem(
      await api.call('POST', '/v1/journeys/registration/start', {
        body: { return_to: 'https://app.example/account' },
      }),
      422,
      'invalid_input',
    );

    const allowing = await startApiVariant(
      stack,
      {},
      { RETURN_TO_ALLOWED: ['https://app.example/account', 'https://shop.example/'] },
    );
    try {
      const client = stepApiClient(allowing.url);
      const doc = (await client.call('GET', '/openapi.json')).body;
      const field = doc.components.schemas['registration.v2.start'].properties.return_to;
      expect(field).toMatchObject({ type: 'string', maxLength: 2048, pattern: expect.any(String) });
      const documented = new RegExp(field.pattern);
      for (const address of [
        'https://app.example/account',
        'https://app.example/account/email?tab=1&x=%2F#top',
        'https://shop.example',
        'https://shop.example/cart/',
        'https://app.example/accounts',
        'https://app.example/account/../admin',
        'https://app.example/account/%2e%2e/admin',
        'https://APP.example/account',
        'https://app.example:443/account',
        'https://app.example.evil.example/account',
        'https://app.example@evil.example/account',
        'http://app.example/account',
        'https://app.example/account/a b',
      ]) {
        const answer = await client.call('POST', '/v1/journeys/registration/start', {
          body: { return_to: address },
        });
        expect(answer.status, address).toBe(documented.test(address) ? 201 : 422);
      }
    } finally {
      await allowing.stop();
    }
  });

  it("documents one start per journey and per version, and one path per step with that step's body, with the security each really needs", async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    expect(
      doc.paths['/v1/journeys/registration/start'].post.requestBody.content['application/json']
        .schema,
    ).toEqual({
      $ref: '#/components/schemas/registration.v3.start',
    });
    expect(doc.paths['/v1/journeys/registration/start'].post.security).toEqual([]);
    expect(doc.paths['/v1/journeys/email-change/start'].post.security).toEqual([
      { sessionBearer: [] },
    ]);
    expect(Object.keys(doc.paths['/v1/journeys/email-change/start'].post.responses)).toEqual(
      expect.arrayContaining(['401', '403']),
    );
    expect(doc.paths['/v1/journeys/registration/start'].post.responses).not.toHaveProperty('401');
    // A body is required only where the start schema requires a field.
    expect(doc.paths['/v1/journeys/factor-removal/start'].post.requestBody.required).toBe(true);
    expect(doc.paths['/v1/journeys/registration/start'].post.requestBody.required).toBe(false);
    // A step's body as each journey version that has it takes it; the run's version decides.
    expect(
      doc.paths['/v1/journeys/{id}/steps/credentials'].post.requestBody.content['application/json']
        .schema,
    ).toEqual({
      anyOf: [
        { $ref: '#/components/schemas/registration.v1.credentials' },
        { $ref: '#/components/schemas/registration.v2.credentials' },
        { $ref: '#/components/schemas/registration.v3.credentials' },
      ],
    });
    expect(
      doc.paths['/v1/journeys/{id}/steps/new-email'].post.requestBody.content['application/json']
        .schema,
    ).toEqual({ $ref: '#/components/schemas/email-change.v1.new-email' });
    // This deployment does not serve the funnel (no admin key): the document does not offer it.
    expect(Object.keys(doc.paths).some((path) => path.startsWith('/v1/analytics'))).toBe(false);
  });

  it('publishes an OpenAPI 3.1 document whose step schemas are the very schemas the views carry', async () => {
    const answer = await api.call('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/json/);
    const doc = answer.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/journeys',
        '/v1/journeys/registration/start',
        '/v1/journeys/registration@1/start',
        '/v1/journeys/registration@2/start',
        '/v1/journeys/registration@3/start',
        '/v1/journeys/email-change/start',
        '/v1/journeys/{id}',
        '/v1/journeys/{id}/steps/credentials',
        '/v1/journeys/{id}/steps/verify-email',
        '/v1/journeys/{id}/steps/terms',
        '/v1/sessions/whoami',
        '/v1/sessions/current',
      ]),
    );
    // Start bodies are journey schemas too; session-started journeys take the session as a bearer.
    expect(doc.components.schemas['registration.v2.start']).toMatchObject({
      type: 'object',
      additionalProperties: false,
      properties: { login_hint: {}, ui_locales: {} },
    });
    expect(doc.components.schemas['registration.v1.start']).toMatchObject({
      additionalProperties: false,
      properties: {},
    });
    expect(doc.components.securitySchemes.sessionBearer).toMatchObject({ scheme: 'bearer' });
    expect(doc.paths['/v1/journeys/email-change/start'].post.description).toContain(
      'session token as a bearer token',
    );
    // The journey token is a security scheme, not a plain header.
    expect(doc.components.securitySchemes.journeyToken).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'Journey-Token' }),
    );
    expect(doc.paths['/v1/journeys/{id}/steps/credentials'].post.security).toEqual([
      { journeyToken: [] },
    ]);

    const { id, token, code, first, view } = await atVerifyEmail('schemas@example.com');
    const terms = (await api.submit(id, token, 'verify-email', { code })).body.step;
    expect(terms.name).toBe('terms');
    for (const step of [first, view.step, terms]) {
      expect(doc.components.schemas[`registration.v3.${step.name}`], step.name).toEqual(
        step.schema,
      );
    }
    // How the engine seals a secret field or checks a return address stays internal.
    expect(JSON.stringify(doc)).not.toContain('x-parcours-');
    expect(first?.schema).toMatchObject({
      properties: { password: { writeOnly: true, format: 'password' } },
    });
    const done = await api.submit(id, token, 'terms', {
      accept: true,
      policyVersion: TERMS_VERSION,
    });
    expect(done.body.status).toBe('completed');
  });

  /** What Redocly's recommended rules say of a document, one line per problem. */
  async function redoclyProblems(doc: unknown): Promise<string[]> {
    const dir = await mkdtemp(join(tmpdir(), 'parcours-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(doc));
      const lint = spawnSync(
        fileURLToPath(new URL('../../node_modules/.bin/redocly', import.meta.url)),
        ['lint', file, '--format=json', '--extends=recommended'],
        { encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', NO_COLOR: '1' } },
      );
      const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf('{')));
      return report.problems.map(
        (problem: { ruleId: string; severity: string; location: Array<{ pointer: string }> }) =>
          `${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('serves an OpenAPI document the Redocly linter (recommended rules) finds no error in, with every operation named and its refusals documented', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    // Also where the funnel is served and return addresses are allowed: more paths and patterns.
    const fuller = await startApiVariant(
      stack,
      {},
      {
        analytics: { adminKey: 'redocly-lints-the-funnel-too-0123456789' },
        RETURN_TO_ALLOWED: ['https://app.example/account'],
      },
    );
    try {
      const fullerDoc = (await stepApiClient(fuller.url).call('GET', '/openapi.json')).body;
      expect(Object.keys(fullerDoc.paths)).toContain('/v1/analytics/journeys/{journey}/funnel');
      // The one warning left: the project has not chosen a licence, and the document does not invent one.
      for (const served of [doc, fullerDoc])
        expect(await redoclyProblems(served)).toEqual(['warn info-license #/info']);
    } finally {
      await fuller.stop();
    }
    const operations = Object.values(doc.paths).flatMap((item) =>
      Object.values(item as Record<string, { operationId?: string; responses: object }>),
    );
    expect(operations.every((operation) => typeof operation.operationId === 'string')).toBe(true);
    const submit = doc.paths['/v1/journeys/{id}/steps/credentials'].post.responses;
    expect(Object.keys(submit)).toEqual(
      expect.arrayContaining(['200', '400', '404', '409', '410', '413', '415', '422', '429']),
    );
    expect(submit['429'].headers['Retry-After']).toBeDefined();
    expect(Object.keys(doc.paths['/v1/journeys/email-change/start'].post.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '413', '415', '422', '429']),
    );
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('lets no cache keep any answer that may carry a token: no-store on every /v1 answer, errors included (ASVS 8.2.1)', async () => {
    const started = await api.start();
    const { id, token } = started.body;
    const answers = [
      started,
      await api.get(id, token),
      await api.submit(id, token, 'credentials', {
        email: 'cache@example.com',
        password: PASSWORD,
      }),
      await api.submit(id, token, 'credentials', {
        email: 'cache@example.com',
        password: PASSWORD,
      }),
      await api.get(id, 'not-the-token'),
      await api.call('GET', '/v1/journeys'),
      await api.call('GET', '/v1/sessions/whoami'),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([201, 200, 200, 409, 404, 200, 401]);
    for (const answer of answers) expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it("leads every problem's type to a page that explains it, for people (HTML) and programs (JSON)", async () => {
    const problem = (await api.call('POST', '/v1/journeys/no-such-journey/start')).body;
    expect(problem.type).toBe('/problems/unknown-journey');
    const html = await fetch(`${stack.url}${problem.type}`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const text = await html.text();
    expect(text).toContain('<code>unknown_journey</code>');
    expect(text).toContain('404 Not Found');
    for (const [code, spec] of Object.entries(errorCatalogue)) {
      const about = await api.call('GET', problemType(code as ErrorCode), {
        headers: { accept: 'application/json' },
      });
      expect(about.status, code).toBe(200);
      expect(about.body).toMatchObject({ code, status: spec.status, message: spec.message });
      expect(about.body.whatToDo).toEqual(expect.any(String));
    }
    expectProblem(await api.call('GET', '/problems/no-such-problem'), 404, 'not_found');
  });

  it('answers /healthz with 200 while the process lives', async () => {
    const answer = await api.call('GET', '/healthz');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 once the database and Temporal are reachable', async () => {
    const answer = await api.call('GET', '/readyz');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ready', database: 'ok', temporal: 'ok' });
  });

  it('shows sent mail at /dev/outbox, newest first: JSON when asked, HTML otherwise, the code readable', async () => {
    const older = await atVerifyEmail('outbox.first@example.com');
    const newer = await atVerifyEmail('outbox.second@example.com');

    const messages = await outbox();
    const ours = messages.filter((message) => message.to.startsWith('outbox.'));
    expect(ours.map((message) => message.to)).toEqual([
      'outbox.second@example.com',
      'outbox.first@example.com',
    ]);
    expect(ours[0]).toMatchObject({
      template: 'registration-code',
      subject: expect.any(String),
      text: expect.stringContaining(newer.code),
    });
    const times = messages.map((message) => message.createdAt);
    expect(times).toEqual([...times].sort().reverse());

    const page = await rawRequest(stack.url, 'GET', '/dev/outbox', {
      headers: { accept: 'text/html' },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('outbox.second@example.com');
    expect(page.text).toContain(newer.code);
    expect(page.text.indexOf(newer.code)).toBeLessThan(page.text.indexOf(older.code));
  });

  it('does not mount /dev/outbox when devOutbox is off: 404 problem (mail content stays out of reach)', async () => {
    const production = await startApiVariant(stack, { devOutbox: false });
    try {
      const client = stepApiClient(production.url);
      expect((await client.call('GET', '/healthz')).status).toBe(200);
      for (const accept of ['application/json', 'text/html']) {
        expectProblem(
          await client.call('GET', '/dev/outbox', { headers: { accept } }),
          404,
          'not_found',
        );
      }
    } finally {
      await production.stop();
    }
  });

  it('limits step API writes per client address with 429 rate_limited and RateLimit headers, and reads at their own budget (ASVS 2.2.1)', async () => {
    const guarded = await startApiVariant(
      stack,
      {},
      { RATE_LIMIT_PER_MINUTE: 3, RATE_LIMIT_READS_PER_MINUTE: 4 },
    );
    try {
      const client = stepApiClient(guarded.url);
      const started = await Promise.all([client.start(), client.start(), client.start()]);
      expect(started.map((answer) => answer.status)).toEqual([201, 201, 201]);
      expect(started[2]?.headers.get('ratelimit')).toMatch(/r=0/);
      const refused = await client.start();
      expectProblem(refused, 429, 'rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const { id, token } = started[0]?.body ?? { id: '', token: '' };
      expectProblem(
        await client.submit(id, token, 'credentials', {
          email: 'x@example.com',
          password: 'one too many',
        }),
        429,
        'rate_limited',
      );
      // Reads count on their own: writes spent, reads still go, up to their own limit.
      const reads = [];
      for (let i = 0; i < 5; i += 1) reads.push((await client.get(id, token)).status);
      expect(reads).toEqual([200, 200, 200, 200, 429]);
      expectProblem(await client.call('GET', '/v1/sessions/whoami'), 429, 'rate_limited');
    } finally {
      await guarded.stop();
    }
  });

  it('counts a client behind a trusted proxy by the address the proxy saw, whatever X-Forwarded-For it writes itself', async () => {
    // One trusted hop (the test client stands in for the load balancer): the rightmost entry is
    // the one the proxy added; anything to its left is the client's own claim.
    const guarded = await startApiVariant(stack, {}, { RATE_LIMIT_PER_MINUTE: 2, TRUST_PROXY: 1 });
    try {
      const client = stepApiClient(guarded.url);
      const statuses = [];
      for (let i = 0; i < 4; i += 1) {
        const answer = await client.call('POST', '/v1/journeys/registration/start', {
          headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.9` },
        });
        statuses.push(answer.status);
      }
      expect(statuses).toEqual([201, 201, 429, 429]);
      // Another address the proxy saw is another client.
      const other = await client.call('POST', '/v1/journeys/registration/start', {
        headers: { 'x-forwarded-for': '203.0.113.10' },
      });
      expect(other.status).toBe(201);
    } finally {
      await guarded.stop();
    }
  });

  it('ends a run at its lifetime: the view says expired and names a fresh start; a submission answers 410', async () => {
    const brief = await startApiVariant(stack, { journeyLifetimeMs: 1_500 });
    try {
      const client = stepApiClient(brief.url);
      const { id, token } = (await client.start()).body;
      const { openedAt } = await stack.prisma.pendingRun.findUniqueOrThrow({ where: { id } });
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const expired = await client.get(id, token);
      expect(expired.status).toBe(200);
      expect(expired.body).toEqual({
        id,
        journey: 'registration',
        version: 3,
        status: 'expired',
        restart: { method: 'POST', href: '/v1/journeys/registration/start' },
      });
      const late = await client.submit(id, token, 'credentials', {
        email: 'late@example.com',
        password: PASSWORD,
      });
      expectProblem(late, 410, 'journey_expired');
      expect(late.body.view).toEqual(expired.body);
      expect(late.body.restart).toEqual({
        method: 'POST',
        href: '/v1/journeys/registration/start',
      });
      // The fresh start it names works.
      expect((await client.call('POST', late.body.restart.href)).status).toBe(201);
      // The run itself ended at its lifetime, expired at the step it waited in, and says so.
      const result = await stack.temporal.workflow.getHandle(id).result();
      expect(result).toMatchObject({ status: 'expired', step: { name: 'credentials' } });
      // Started late (by the sweep of runs never submitted), it still cannot outlive its token by
      // more than the finishing margin.
      const description = await stack.temporal.workflow.getHandle(id).describe();
      const timeoutMs =
        Number(description.raw.executionConfig?.workflowExecutionTimeout?.seconds ?? 0) * 1000;
      expect(description.startTime.getTime() + timeoutMs).toBeLessThanOrEqual(
        openedAt.getTime() + 1_500 + 15 * 60_000 + 1_000,
      );
      expect(timeoutMs).toBeGreaterThan(14 * 60_000);
      expect(await recordedEvents(id, 'expired')).toEqual([
        ['started', null],
        ['step_entered', 'credentials'],
        ['expired', 'credentials'],
      ]);
    } finally {
      await brief.stop();
    }
  });

  it('answers a submission to a step the run is not at with 409 and the current view whatever its body, and seals nothing of it', async () => {
    const { id, token, view } = await atVerifyEmail('not-current@example.com');
    for (const body of [{}, { email: 'not an address' }, { email: 'x@example.com', extra: 1 }])
      expectProblem(await api.submit(id, token, 'credentials', body), 409, 'step_not_current');
    // A step ahead, with a body that would be sealed (its code put in the vault) if it were current.
    const fresh = (await api.start()).body;
    const sealedBefore = await stack.prisma.secretRef.count();
    const ahead = await api.submit(fresh.id, fresh.token, 'verify-email', { code: '123456' });
    expectProblem(ahead, 409, 'step_not_current');
    expect(ahead.body.view).toMatchObject({ id: fresh.id, step: { name: 'credentials' } });
    expect(await stack.prisma.secretRef.count()).toBe(sealedBefore);
    expect((await api.get(id, token)).body).toEqual(view);
  });

  it('answers 409 whatever the body also where this API instance last showed that step and another instance moved the journey on', async () => {
    const other = await startApiVariant(stack, {});
    try {
      const { id, token } = (await api.start()).body;
      // The journey moves on through the other instance: this one still last showed credentials.
      const moved = await stepApiClient(other.url).submit(id, token, 'credentials', {
        email: 'two-instances@example.com',
        password: PASSWORD,
      });
      expect(moved.body.step.name).toBe('verify-email');
      const invalid = await api.submit(id, token, 'credentials', { email: 'not an address' });
      expectProblem(invalid, 409, 'step_not_current');
      expect(invalid.body.view.step.name).toBe('verify-email');
      const valid = await api.submit(id, token, 'credentials', {
        email: 'two-instances@example.com',
        password: PASSWORD,
      });
      expectProblem(valid, 409, 'step_not_current');
    } finally {
      await other.stop();
    }
  });

  it('keeps the inactivity deadline through rejected submissions: a run fed wrong codes is still abandoned at its step', async () => {
    const impatient = await startApiVariant(stack, { stepTimeoutMs: 2_000 });
    try {
      const client = stepApiClient(impatient.url);
      const { id, token } = (await client.start()).body;
      const email = 'keeps-trying@example.com';
      const moved = await client.submit(id, token, 'credentials', { email, password: PASSWORD });
      expect(moved.body.step.name).toBe('verify-email');
      // A wrong code every 300 ms, longer than the step's 2 s timeout: each is rejected, none is
      // progress, so the run ends abandoned at verify-email while they keep coming.
      const ended = await eventually(
        `${id} abandoned while wrong codes arrive`,
        async () => {
          const answer = await client.submit(id, token, 'verify-email', { code: '000000' });
          if (answer.status === 422) {
            await new Promise((resolve) => setTimeout(resolve, 300));
            return undefined;
          }
          return answer;
        },
        12_000,
      );
      expectProblem(ended, 409, 'journey_closed');
      expect(ended.body.view).toMatchObject({
        status: 'abandoned',
        step: { name: 'verify-email' },
      });
    } finally {
      await impatient.stop();
    }
  });

  it('makes a journey waiting at verify-email findable by its search attributes ParcoursJourney and ParcoursStep', async () => {
    const { id } = await atVerifyEmail('listed@example.com');
    const query = "ParcoursJourney = 'registration' AND ParcoursStep = 'verify-email'";
    // Visibility is eventually consistent: the run shows up within a few seconds.
    const found = await eventually(`${id} listed by "${query}"`, async () => {
      for await (const run of stack.temporal.workflow.list({ query }))
        if (run.workflowId === id) return run;
      return undefined;
    });
    expect(found.searchAttributes).toMatchObject({
      ParcoursJourney: ['registration'],
      ParcoursStep: ['verify-email'],
      ParcoursStatus: ['active'],
    });
  });

  it('ends a journey left at a step as abandoned at that step, records it, and answers a later submission with 409 journey_closed', async () => {
    const impatient = await startApiVariant(stack, { stepTimeoutMs: 1_500 });
    try {
      const client = stepApiClient(impatient.url);
      const { id, token } = (await client.start()).body;

      const ended = await eventually(
        `${id} abandoned`,
        async () => {
          const view = await client.get(id, token);
          return view.body.status === 'abandoned' ? view : undefined;
        },
        10_000,
      );
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({ id, status: 'abandoned', step: { name: 'credentials' } });

      const late = await client.submit(id, token, 'credentials', {
        email: 'late@example.com',
        password: PASSWORD,
      });
      expectProblem(late, 409, 'journey_closed');
      expect(late.body.view).toMatchObject({
        id,
        status: 'abandoned',
        step: { name: 'credentials' },
      });
      expect(await stack.prisma.outboundMessage.count({ where: { journeyId: id } })).toBe(0);

      expect(await recordedEvents(id, 'abandoned')).toEqual([
        ['started', null],
        ['step_entered', 'credentials'],
        ['abandoned', 'credentials'],
      ]);
    } finally {
      await impatient.stop();
    }
  });
});
