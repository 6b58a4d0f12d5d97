import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import type { RegisteredApp } from '../../../src/apps/app-registry.js';
import { policyOf } from '../../../src/apps/profiling-policy.js';
import { createClientAuthentication } from '../../../src/http/client-credentials.js';
import { HttpProblem } from '../../../src/http/problem.js';

const shop: RegisteredApp = {
  id: 'shop',
  name: 'Shop',
  kind: 'first_party',
  attributes: [],
  purposes: [],
  dataLimitBytes: 16 * 1024,
  profiling: policyOf(undefined),
};

/** A registry that knows one app and its secret, and records every id and secret it is asked about. */
function registryOf(app: RegisteredApp, secret: string) {
  const asked: [string, string][] = [];
  return {
    asked,
    authenticate: async (id: string, presented: string) => {
      asked.push([id, presented]);
      return id === app.id && presented === secret ? app : undefined;
    },
  };
}

const requestWith = (headers: Record<string, string>) =>
  ({ get: (name: string) => headers[name.toLowerCase()] }) as unknown as Request;

/** application/x-www-form-urlencoded, as URLSearchParams writes it (a space as `+`). */
const formEncoded = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
/** RFC 6749 §2.3.1: each part form-encoded, then joined and base64-encoded. */
const clientBasic = (id: string, secret: string) =>
  basic(`${formEncoded(id)}:${formEncoded(secret)}`);

async function refusalOf(promise: Promise<unknown>): Promise<HttpProblem> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (error instanceof HttpProblem) return error;
  throw new Error(`expected an HttpProblem, got ${String(error)}`);
}

describe('an app authenticated by its client credentials (RFC 6749 §2.3.1)', () => {
  it('finds the app behind a Basic header with its id and secret', async () => {
    const registry = registryOf(shop, 's3cret');
    const authenticate = createClientAuthentication(registry);
    await expect(
      authenticate(requestWith({ authorization: clientBasic('shop', 's3cret') })),
    ).resolves.toBe(shop);
    expect(registry.asked).toEqual([['shop', 's3cret']]);
  });

  it('form-decodes the id and the secret: `+` is a space, %-escapes are their characters', async () => {
    const secret = 'a:b+c d%e/é';
    const registry = registryOf({ ...shop, id: 'shop app' }, secret);
    const authenticate = createClientAuthentication(registry);
    const header = clientBasic('shop app', secret);
    await expect(authenticate(requestWith({ authorization: header }))).resolves.toMatchObject({
      id: 'shop app',
    });
    expect(registry.asked).toEqual([['shop app', secret]]);
  });

  it('splits at the first colon, so a secret sent unencoded may hold colons', async () => {
    const registry = registryOf(shop, 'se:cr:et');
    const authenticate = createClientAuthentication(registry);
    await expect(
      authenticate(requestWith({ authorization: basic('shop:se:cr:et') })),
    ).resolves.toBe(shop);
  });

  it('takes the scheme in any case, and several spaces after it', async () => {
    const authenticate = createClientAuthentication(registryOf(shop, 's3cret'));
    const token = Buffer.from('shop:s3cret').toString('base64');
    for (const authorization of [`basic ${token}`, `BASIC ${token}`, `Basic   ${token}`])
      await expect(authenticate(requestWith({ authorization })), authorization).resolves.toBe(shop);
  });

  it('answers a wrong secret and an unknown id with 401 client_authentication_failed and the Basic challenge', async () => {
    const authenticate = createClientAuthentication(registryOf(shop, 's3cret'));
    for (const header of [clientBasic('shop', 'guess'), clientBasic('nobody', 's3cret')]) {
      const problem = await refusalOf(authenticate(requestWith({ authorization: header })));
      expect(problem.code).toBe('client_authentication_failed');
      expect(problem.status).toBe(401);
      expect(problem.headers['WWW-Authenticate']).toMatch(/^Basic realm="[^"]+", charset="UTF-8"$/);
    }
  });

  it('refuses, as it refuses a wrong secret and without asking the registry, a missing, malformed or other-scheme header', async () => {
    const registry = registryOf(shop, 's3cret');
    const authenticate = createClientAuthentication(registry);
    const wrongSecret = await refusalOf(
      authenticate(requestWith({ authorization: clientBasic('shop', 'guess') })),
    );
    registry.asked.length = 0;
    const cases: Record<string, Record<string, string>> = {
      'no Authorization header': {},
      'the Bearer scheme': { authorization: 'Bearer czNjcmV0' },
      'the Basic scheme alone': { authorization: 'Basic' },
      'no space after the scheme': {
        authorization: `Basic${Buffer.from('shop:s3cret').toString('base64')}`,
      },
      'characters base64 does not have': { authorization: 'Basic c2hvcDpz*zNjcmV0' },
      'something after the credentials': { authorization: `${basic('shop:s3cret')} extra` },
      'no colon': { authorization: basic('shops3cret') },
      'an empty id': { authorization: basic(':s3cret') },
      'an empty secret': { authorization: basic('shop:') },
      'a broken %-escape in the secret': { authorization: basic('shop:s3cret%E0%A4%A') },
      'a broken %-escape in the id': { authorization: basic('sh%ZZop:s3cret') },
    };
    for (const [what, headers] of Object.entries(cases)) {
      const problem = await refusalOf(authenticate(requestWith(headers)));
      expect(
        { code: problem.code, status: problem.status, headers: problem.headers },
        what,
      ).toEqual({
        code: wrongSecret.code,
        status: wrongSecret.status,
        headers: wrongSecret.headers,
      });
    }
    expect(registry.asked).toEqual([]);
  });
});
