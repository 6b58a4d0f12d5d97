import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/runtime/config.js';
import { operatorKeyFile } from '../../src/runtime/operator-keys.js';
import { startApiProcess } from '../../src/runtime/processes.js';
import { expectProblem, requestNaming } from '../support/raw-http.js';
import { type Stack, startStack } from '../support/stack.js';

const PUBLIC_URL = 'https://id.example.com';

/** The routes a DNS-rebinding page would want, each as an operator (with the key) calls it. */
const ROUTES: Array<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/dev/outbox' },
  { method: 'GET', path: '/dashboard/' },
  { method: 'GET', path: '/v1/analytics/journeys/registration/funnel' },
  { method: 'POST', path: '/codec/decode', body: { payloads: [] } },
  { method: 'GET', path: '/v1/journeys' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/openapi.json' },
  { method: 'GET', path: '/problems/not-found' },
];

/**
 * The API as `npm start` configures it (no DATABASE_URL: embedded mode, so the dev outbox, the
 * dashboard, the funnel API and the codec are all served), on the test database and Temporal.
 */
describe('on the embedded defaults, being on this machine grants nothing', () => {
  let stack: Stack;
  let dataDir: string;
  let api: Awaited<ReturnType<typeof startApiProcess>>;
  let port: number;
  let operatorKey: string;
  const startEmbeddedApi = () =>
    startApiProcess(
      {
        ...stack.ctx,
        config: loadConfig({
          PARCOURS_DATA_DIR: dataDir,
          PARCOURS_PUBLIC_URL: PUBLIC_URL,
          PARCOURS_KEYS: stack.keySpec,
          TEMPORAL_ADDRESS: stack.ctx.temporalAddress,
          TEMPORAL_TASK_QUEUE: stack.config.TEMPORAL_TASK_QUEUE,
          LOG_LEVEL: 'silent',
        }),
      },
      { port: 0 },
    );

  beforeAll(async () => {
    stack = await startStack({ withoutWorker: true });
    dataDir = await mkdtemp(join(tmpdir(), 'parcours-loopback-'));
    api = await startEmbeddedApi();
    port = Number(new URL(api.url).port);
    operatorKey = (await readFile(operatorKeyFile(dataDir), 'utf8')).trim();
  });
  afterAll(async () => {
    await api?.stop();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const call = (
    host: string,
    route: (typeof ROUTES)[number],
    headers: Record<string, string> = {},
  ) =>
    requestNaming(host, api.url, route.method, route.path, {
      headers: { authorization: `Bearer ${operatorKey}`, accept: 'application/json', ...headers },
      ...(route.body ? { body: route.body } : {}),
    });

  describe('the Host allow-list', () => {
    it('refuses 421 on every route a request naming attacker.example, as a DNS-rebinding page in a developer’s browser sends it, key or not (ASVS 5.0 V3.5)', async () => {
      for (const route of ROUTES) {
        const refused = await call(`attacker.example:${port}`, route);
        expectProblem(refused, 421, 'misdirected_request');
        expect(JSON.stringify(refused.body), route.path).not.toMatch(/messages|versions|payloads/);
      }
    });

    it('is not talked round by X-Forwarded-Host or Forwarded (ASVS 5.0 V4.1.3)', async () => {
      for (const route of ROUTES)
        expectProblem(
          await call(`attacker.example:${port}`, route, {
            'x-forwarded-host': `127.0.0.1:${port}`,
            forwarded: `host=127.0.0.1:${port}`,
          }),
          421,
          'misdirected_request',
        );
    });

    it('serves 127.0.0.1 and localhost on its own port, and the public URL’s host', async () => {
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'id.example.com'])
        for (const route of ROUTES)
          expect((await call(host, route)).status, `${host} ${route.path}`).toBe(200);
      expect(
        (await call(`localhost:${port + 1}`, ROUTES[0] as (typeof ROUTES)[number])).status,
      ).toBe(421);
    });
  });

  describe('the operator key', () => {
    it('is asked of a client on loopback: 401 on the dashboard, the funnel API and the codec without it (ASVS 5.0 V8.2.1)', async () => {
      for (const route of ROUTES.slice(1, 4))
        for (const authorization of ['', `Bearer ${'x'.repeat(43)}`]) {
          const refused = await call(`127.0.0.1:${port}`, route, { authorization });
          expectProblem(refused, 401, 'operator_key_required');
          expect(refused.headers.get('www-authenticate'), route.path).toMatch(/realm="parcours-/);
        }
      // The dev outbox stays a developer's mailbox on this machine: no key, but the Host check.
      expect(
        (
          await call(`127.0.0.1:${port}`, ROUTES[0] as (typeof ROUTES)[number], {
            authorization: '',
          })
        ).status,
      ).toBe(200);
    });

    it('is generated once into the data folder, 0600, given at start, and the same on restart', async () => {
      expect(operatorKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(api.operatorKey).toBe(operatorKey);
      expect((await stat(operatorKeyFile(dataDir))).mode & 0o777).toBe(0o600);
      const again = await startEmbeddedApi();
      try {
        expect(again.operatorKey).toBe(operatorKey);
      } finally {
        await again.stop();
      }
    });

    it('does not encode: /codec/encode is not served without an encode key of its own', async () => {
      const encode = await call(`127.0.0.1:${port}`, {
        method: 'POST',
        path: '/codec/encode',
        body: { payloads: [] },
      });
      expectProblem(encode, 404, 'not_found');
    });
  });
});
