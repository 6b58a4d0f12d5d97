import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runParcours } from '../../src/cli/parcours.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'apps-cli-test-operator-key-0123456789abcdef';
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** `npx parcours …` run in this process: its exit code and what it printed. */
async function parcours(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runParcours(args, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('npx parcours apps|attributes, against a running engine', () => {
  let stack: Stack;
  const keyBefore = process.env.PARCOURS_ADMIN_KEY;
  const onStack = (...args: string[]) => parcours(...args, '--api', stack.url);

  beforeAll(async () => {
    stack = await startStack({ env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
    process.env.PARCOURS_ADMIN_KEY = ADMIN_KEY;
  });
  afterAll(async () => {
    if (keyBefore === undefined) delete process.env.PARCOURS_ADMIN_KEY;
    else process.env.PARCOURS_ADMIN_KEY = keyBefore;
    await stack?.stop();
  });

  it('registers an app, lists it without its secret, issues a new secret and removes it (ASVS 2.4, 3.5)', async () => {
    const added = await onStack(
      'apps',
      'add',
      'cli-app',
      '--name',
      'CLI App',
      '--kind',
      'first_party',
    );
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const registration = JSON.parse(added.stdout);
    expect(registration.app).toMatchObject({
      client_id: 'cli-app',
      name: 'CLI App',
      kind: 'first_party',
    });
    const secret = registration.client_secret as string;
    expect(secret).toEqual(expect.any(String));
    const row = await stack.prisma.app.findUniqueOrThrow({ where: { id: 'cli-app' } });
    expect(row.secretHash).toBe(sha256(secret));

    const listed = await onStack('apps', 'list');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).apps).toEqual([
      expect.objectContaining({ client_id: 'cli-app', name: 'CLI App' }),
    ]);
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).not.toContain(row.secretHash);
    expect(listed.stdout).not.toMatch(/secret_hash|client_secret/);

    const rotated = await onStack('apps', 'rotate-secret', 'cli-app');
    expect(rotated.code).toBe(0);
    const renewed = JSON.parse(rotated.stdout);
    expect(renewed).toEqual({ client_id: 'cli-app', client_secret: expect.any(String) });
    expect(renewed.client_secret).not.toBe(secret);
    expect(
      (await stack.prisma.app.findUniqueOrThrow({ where: { id: 'cli-app' } })).secretHash,
    ).toBe(sha256(renewed.client_secret));

    const removed = await onStack('apps', 'remove', 'cli-app');
    expect(removed).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await stack.prisma.app.count({ where: { id: 'cli-app' } })).toBe(0);
  });

  it('declares an attribute with its schema, readers and writers', async () => {
    const declared = await onStack(
      'attributes',
      'add',
      'membership_number',
      '--schema',
      '{"type":"string"}',
      '--read',
      'customer,operator',
      '--write',
      'operator',
    );
    expect(declared.code).toBe(0);
    expect(JSON.parse(declared.stdout)).toMatchObject({
      name: 'membership_number',
      standard: false,
      schema: { type: 'string' },
      readers: ['customer', 'operator'],
      writers: ['operator'],
      grants_access: false,
    });
    const row = await stack.prisma.attributeDefinition.findUniqueOrThrow({
      where: { name: 'membership_number' },
    });
    expect(row).toMatchObject({ readers: ['customer', 'operator'], writers: ['operator'] });
    const listed = await onStack('attributes', 'list');
    expect(JSON.parse(listed.stdout).attributes).toContainEqual(
      expect.objectContaining({ name: 'membership_number', standard: false }),
    );
  });

  it("exits 1 with the problem's title on stderr for an unknown app", async () => {
    for (const args of [
      ['apps', 'rotate-secret', 'no-such-app'],
      ['apps', 'remove', 'no-such-app'],
    ]) {
      const refused = await onStack(...args);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stdout, args.join(' ')).toBe('');
      expect(refused.stderr, args.join(' ')).toBe('404 No such app');
    }
  });

  it('exits 2 with the usage for a usage mistake', async () => {
    for (const args of [
      ['apps', 'add'],
      ['apps', 'frobnicate'],
      ['attributes', 'add', 'no_schema', '--read', 'operator'],
      ['apps', 'list', '--no-such-option'],
    ]) {
      const mistaken = await onStack(...args);
      expect(mistaken.code, args.join(' ')).toBe(2);
      expect(mistaken.stderr, args.join(' ')).toContain('Usage: parcours');
    }
  });

  it('registers an app as an OpenID Connect client, refusing a redirect URI that could be matched loosely (RFC 9700 §4.1.3)', async () => {
    const added = await onStack(
      'apps',
      'add',
      'sso-app',
      '--name',
      'SSO App',
      '--kind',
      'first_party',
      '--client-type',
      'public',
      '--redirect-uris',
      'https://sso.example/callback,com.example.sso:/callback,http://127.0.0.1:8080/cb',
      '--scopes',
      'openid,email,offline_access',
      '--grant-types',
      'authorization_code,refresh_token',
    );
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(added.stdout).app).toMatchObject({
      client_id: 'sso-app',
      client_type: 'public',
      redirect_uris: [
        'https://sso.example/callback',
        'com.example.sso:/callback',
        'http://127.0.0.1:8080/cb',
      ],
      scopes: ['openid', 'email', 'offline_access'],
      grant_types: ['authorization_code', 'refresh_token'],
    });
    // The provider serves it as a client (the discovery's issuer finds it at /oidc/auth).
    for (const uri of [
      'https://sso.example/callback#fragment',
      'https://user:pass@sso.example/callback',
      'http://sso.example/callback',
      'javascript:alert(1)',
      '/relative/callback',
    ]) {
      const refused = await onStack('apps', 'update', 'sso-app', '--redirect-uris', uri);
      expect(refused.code, uri).toBe(1);
      expect(refused.stderr, uri).toContain('/redirect_uris/0');
    }
  });

  it('lists the provider’s signing keys and rotates them: new keys published, signing after the overlap', async () => {
    const before = await onStack('oidc', 'keys');
    expect(before.code).toBe(0);
    const keys = JSON.parse(before.stdout).keys as Array<{ kid: string; alg: string }>;
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(before.stdout).not.toMatch(/"d"\s*:/);
    const rotated = await onStack('oidc', 'rotate-keys');
    expect(rotated.code).toBe(0);
    const answer = JSON.parse(rotated.stdout);
    expect(answer.rotated).toHaveLength(2);
    expect(answer.keys).toHaveLength(4);
    for (const kid of answer.rotated)
      expect(
        Date.parse(answer.keys.find((key: { kid: string }) => key.kid === kid).signs_from),
      ).toBeGreaterThan(Date.now() + 24 * 3_600_000);
  });
});
