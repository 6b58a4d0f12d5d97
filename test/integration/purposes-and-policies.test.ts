import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runParcours } from '../../src/cli/parcours.js';
import { sha256Hex } from '../../src/security/tokens.js';
import { stepApiClient } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'purposes-test-operator-key-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

/**
 * Purposes customers consent to and the policy documents they accept (the consent issue's first
 * part), managed by the admin API and `npx parcours purposes|policies`: a published version never
 * changes, so what a customer accepted is its content hash.
 */
describe('purposes and policy versions, on real Postgres', () => {
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;

  beforeAll(async () => {
    stack = await startStack({ withoutWorker: true, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
    api = stepApiClient(stack.url);
    const app = await api.call('POST', '/v1/admin/apps', {
      headers: admin,
      body: { id: 'partner-acme', name: 'Acme', kind: 'third_party' },
    });
    expect(app.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const policy = (overrides: Record<string, unknown> = {}) => ({
    policy: 'privacy',
    version: '2026-12-01',
    locale: 'en',
    content: 'We share your email with Acme only if you agree.',
    material: true,
    effective_at: '2026-12-01T00:00:00Z',
    ...overrides,
  });

  it('declares a purpose naming the attributes and apps it covers, and refuses unknown ones by path', async () => {
    const declared = await api.call('PUT', '/v1/admin/purposes/share_with_acme', {
      headers: admin,
      body: {
        name: 'Share with Acme',
        attributes: ['email', 'given_name'],
        apps: ['partner-acme'],
      },
    });
    expect(declared.status).toBe(200);
    expect(declared.body).toMatchObject({
      id: 'share_with_acme',
      attributes: ['email', 'given_name'],
      apps: ['partner-acme'],
    });
    const refused = await api.call('PUT', '/v1/admin/purposes/share_with_nobody', {
      headers: admin,
      body: { name: 'Nobody', attributes: ['shoe_size'], apps: ['nobody'] },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((error: { path: string }) => error.path)).toEqual([
      '/attributes/0',
      '/apps/0',
    ]);
    const listed = await api.call('GET', '/v1/admin/purposes', { headers: admin });
    expect(listed.body.purposes.map((purpose: { id: string }) => purpose.id)).toEqual([
      'share_with_acme',
    ]);
  });

  it('publishes a policy version once: the same content again is 200, other content 409, and nothing changes', async () => {
    const first = await api.call('POST', '/v1/admin/policies', { headers: admin, body: policy() });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      policy: 'privacy',
      version: '2026-12-01',
      locale: 'en',
      material: true,
      content_hash: sha256Hex(policy().content),
    });
    const again = await api.call('POST', '/v1/admin/policies', { headers: admin, body: policy() });
    expect(again.status).toBe(200);
    const changed = await api.call('POST', '/v1/admin/policies', {
      headers: admin,
      body: policy({ content: 'We share everything.' }),
    });
    expect(changed.status).toBe(409);
    expect(changed.body.code).toBe('policy_version_exists');
    const shown = await api.call('GET', '/v1/admin/policies/privacy/2026-12-01/en', {
      headers: admin,
    });
    expect(shown.body).toMatchObject({
      content: policy().content,
      content_hash: first.body.content_hash,
    });
    // Another locale of the same version is a document of its own.
    const french = await api.call('POST', '/v1/admin/policies', {
      headers: admin,
      body: policy({
        locale: 'fr',
        content: 'Nous partageons votre adresse avec Acme si vous le voulez.',
      }),
    });
    expect(french.status).toBe(201);
  });

  it('is driven by npx parcours purposes|policies, against the admin API', async () => {
    const previous = process.env.PARCOURS_ADMIN_KEY;
    process.env.PARCOURS_ADMIN_KEY = ADMIN_KEY;
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (text: string) => out.push(text), err: (text: string) => err.push(text) };
    try {
      const dir = await mkdtemp(join(tmpdir(), 'parcours-policy-'));
      const file = join(dir, 'terms.md');
      await writeFile(file, 'Terms, second edition.');
      expect(
        await runParcours(
          ['purposes', 'add', 'analytics', '--name', 'Analytics', '--api', stack.url],
          io,
        ),
      ).toBe(0);
      expect(
        await runParcours(
          [
            'policies',
            'publish',
            'terms',
            '--version',
            'v2',
            '--locale',
            'en',
            '--file',
            file,
            '--material',
            '--api',
            stack.url,
          ],
          io,
        ),
      ).toBe(0);
      expect(JSON.parse(out.at(-1) as string)).toMatchObject({
        policy: 'terms',
        version: 'v2',
        material: true,
        content_hash: sha256Hex('Terms, second edition.'),
      });
      await writeFile(file, 'Terms, quietly rewritten.');
      expect(
        await runParcours(
          [
            'policies',
            'publish',
            'terms',
            '--version',
            'v2',
            '--locale',
            'en',
            '--file',
            file,
            '--api',
            stack.url,
          ],
          io,
        ),
      ).toBe(1);
      expect(err.join('\n')).toContain('409');
      expect(await runParcours(['policies', 'show', 'terms', '--api', stack.url], io)).toBe(2);
    } finally {
      if (previous === undefined) delete process.env.PARCOURS_ADMIN_KEY;
      else process.env.PARCOURS_ADMIN_KEY = previous;
    }
  });
});
