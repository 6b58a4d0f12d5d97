import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { type AppRegistry, appChange, appInput } from '../apps/app-registry.js';
import { createPolicies, policyVersionInput } from '../consent/policies.js';
import { createPurposes, purposeInput } from '../consent/purposes.js';
import { withheldCounts } from '../consent/release.js';
import type { PrismaClient } from '../db/prisma.js';
import { listSigningKeys, rotateSigningKeys } from '../oidc/signing-keys.js';
import { completeDueErasure } from '../privacy/erasure.js';
import {
  attributeDefinitionInput,
  defineAttribute,
  describeAttribute,
  loadCatalogue,
} from '../profile/attribute-catalogue.js';
import {
  checkPatch,
  type ProfileActor,
  readProfile,
  userExists,
  writeProfile,
} from '../profile/profile-store.js';
import type { Keyring } from '../security/keyring.js';
import type { RunKeys } from '../security/run-keys.js';
import { servePolicyVersion } from './consent-api.js';
import { fieldErrorsOf } from './field-errors.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { requireOperatorKey } from './operator-key.js';
import { HttpProblem } from './problem.js';
import { objectBody, profileProblems } from './profile-problems.js';

const OPERATOR: ProfileActor = { party: 'operator' };

/** `PUT /users/{user}/legal-hold`: why the customer's data must be kept. */
export const legalHoldInput = z.strictObject({ reason: z.string().trim().min(1).max(500) });

/** `GET /consent/withheld`: one app's counts, and from which day. */
export const withheldQuery = z.strictObject({
  app: z.string().min(1).max(63).optional(),
  since: z.iso.date().optional(),
});

function parsed<T>(
  schema: {
    safeParse: (
      body: unknown,
    ) =>
      | { success: true; data: T }
      | { success: false; error: { issues: Parameters<typeof fieldErrorsOf>[0] } };
  },
  body: unknown,
): T {
  // Every body here is a JSON object; none at all is refused, not read as `{}`.
  if (body === undefined)
    throw new HttpProblem('invalid_input', {
      errors: [{ path: '', code: 'invalid_type', message: 'Send a JSON object' }],
    });
  const result = schema.safeParse(body);
  if (!result.success)
    throw new HttpProblem('invalid_input', { errors: fieldErrorsOf(result.error.issues) });
  return result.data;
}

/**
 * The operator's API (`/v1/admin`, behind the operator key): the registry of apps (OAuth clients)
 * and the attribute catalogue, as `npx parcours apps|attributes` drive them, and any customer's
 * profile as the operator may read and write it.
 */
export function createAdminApi(deps: {
  prisma: PrismaClient;
  apps: AppRegistry;
  operatorKey: string;
  keyring: Keyring;
  /** Runs' own payload keys: an erasure done here forgets its shredded keys at once. */
  runKeys?: RunKeys;
}) {
  const router = Router();
  router.use(requireOperatorKey({ operatorKey: deps.operatorKey, realm: 'parcours-admin' }));

  router.get('/apps', async (_req: Request, res: Response) => {
    res.json({ apps: await deps.apps.list() });
  });
  /** Registers an app: its client secret is in this answer and nowhere else, ever. */
  router.post('/apps', async (req: Request, res: Response) => {
    const added = await deps.apps.add(parsed(appInput, req.body));
    if (added === 'exists') throw new HttpProblem('app_exists');
    res.status(201).location(`${req.baseUrl}/apps/${added.app.client_id}`).json(added);
  });
  router.get('/apps/:id', async (req: Request, res: Response) => {
    const app = await deps.apps.get(String(req.params.id));
    if (!app) throw new HttpProblem('app_not_found');
    res.json(app);
  });
  router.patch('/apps/:id', async (req: Request, res: Response) => {
    const app = await deps.apps.change(String(req.params.id), parsed(appChange, req.body));
    if (!app) throw new HttpProblem('app_not_found');
    res.json(app);
  });
  router.delete('/apps/:id', async (req: Request, res: Response) => {
    if (!(await deps.apps.remove(String(req.params.id)))) throw new HttpProblem('app_not_found');
    res.status(204).end();
  });
  /** A new client secret; the previous one stops working at once. */
  router.post('/apps/:id/secret', async (req: Request, res: Response) => {
    const rotated = await deps.apps.rotateSecret(String(req.params.id));
    if (!rotated) throw new HttpProblem('app_not_found');
    res.json(rotated);
  });

  router.get('/attributes', async (_req: Request, res: Response) => {
    const catalogue = await loadCatalogue(deps.prisma);
    res.json({
      attributes: [...catalogue].map(([name, spec]) => describeAttribute(name, spec)),
    });
  });
  router.post('/attributes', async (req: Request, res: Response) => {
    const definition = parsed(attributeDefinitionInput, req.body);
    // An owner named before it is registered would hand the attribute to whoever registers it.
    if (definition.owner_app && !(await deps.apps.find(definition.owner_app)))
      throw new HttpProblem('invalid_input', {
        errors: [
          { path: '/owner_app', code: 'app_not_found', message: 'No app with this client id' },
        ],
      });
    const attribute = await defineAttribute(deps.prisma, definition);
    res.status(201).json(attribute);
  });
  router.delete('/attributes/:name', async (req: Request, res: Response) => {
    const { count } = await deps.prisma.attributeDefinition.deleteMany({
      where: { name: String(req.params.name) },
    });
    if (count !== 1) throw new HttpProblem('attribute_not_found');
    res.status(204).end();
  });

  /** The customer the path names, or 404 as for any unknown id. */
  async function existingUser(req: Request): Promise<string> {
    const userId = String(req.params.user);
    if (!(await userExists(deps.prisma, userId))) throw new HttpProblem('user_not_found');
    return userId;
  }
  router.get('/users/:user/profile', async (req: Request, res: Response) => {
    const userId = await existingUser(req);
    res.json(await readProfile(deps.prisma, await loadCatalogue(deps.prisma), userId, OPERATOR));
  });
  router.patch('/users/:user/profile', async (req: Request, res: Response) => {
    const userId = await existingUser(req);
    const catalogue = await loadCatalogue(deps.prisma);
    const { values } = checkPatch(catalogue, OPERATOR, objectBody(req.body));
    await writeProfile(deps.prisma, userId, OPERATOR, values);
    res.json(await readProfile(deps.prisma, catalogue, userId, OPERATOR));
  });

  const purposes = createPurposes(deps.prisma);
  const policies = createPolicies(deps.prisma);
  router.get('/purposes', async (_req: Request, res: Response) => {
    res.json({ purposes: await purposes.list() });
  });
  /** Declares or redeclares a purpose: the attributes and apps it covers must exist. */
  router.put('/purposes/:id', async (req: Request, res: Response) => {
    const input = parsed(purposeInput, {
      ...objectBody(req.body ?? {}),
      id: String(req.params.id),
    });
    const catalogue = await loadCatalogue(deps.prisma);
    const known = new Set((await deps.apps.list()).map((app) => app.client_id));
    const errors = [
      ...input.attributes.flatMap((name, index) =>
        catalogue.has(name)
          ? []
          : [
              {
                path: `/attributes/${index}`,
                code: 'attribute_not_found',
                message: 'No such attribute',
              },
            ],
      ),
      ...input.apps.flatMap((app, index) =>
        known.has(app)
          ? []
          : [
              {
                path: `/apps/${index}`,
                code: 'app_not_found',
                message: 'No app with this client id',
              },
            ],
      ),
    ];
    if (errors.length) throw new HttpProblem('invalid_input', { errors });
    res.json(await purposes.define(input));
  });
  router.delete('/purposes/:id', async (req: Request, res: Response) => {
    if (!(await purposes.remove(String(req.params.id)))) throw new HttpProblem('purpose_not_found');
    res.status(204).end();
  });

  router.get('/policies', async (req: Request, res: Response) => {
    const policy = typeof req.query.policy === 'string' ? req.query.policy : undefined;
    res.json({ versions: await policies.list(policy) });
  });
  /** Publishes a version of a policy in a locale: immutable once published. */
  router.post('/policies', async (req: Request, res: Response) => {
    const published = await policies.publish(parsed(policyVersionInput, req.body));
    if (published.outcome === 'conflict') throw new HttpProblem('policy_version_exists');
    const { policy, version, locale } = published.version;
    res
      .status(published.outcome === 'published' ? 201 : 200)
      .location(`${req.baseUrl}/policies/${policy}/${version}/${locale}`)
      .json(published.version);
  });
  router.get('/policies/:policy/:version/:locale', servePolicyVersion(policies));

  /** A legal hold: erasure waits while it stands (GDPR Art. 17(3)(e)); the reason is kept. */
  router.put('/users/:user/legal-hold', async (req: Request, res: Response) => {
    const { reason } = parsed(legalHoldInput, req.body);
    const userId = String(req.params.user);
    if (!(await userExists(deps.prisma, userId))) throw new HttpProblem('user_not_found');
    const at = new Date();
    await deps.prisma.user.update({
      where: { id: userId },
      data: { legalHoldAt: at, legalHoldReason: reason },
    });
    res.json({ user: userId, held_since: at.toISOString(), reason });
  });
  router.delete('/users/:user/legal-hold', async (req: Request, res: Response) => {
    const userId = String(req.params.user);
    if (!(await userExists(deps.prisma, userId))) throw new HttpProblem('user_not_found');
    await deps.prisma.user.update({
      where: { id: userId },
      data: { legalHoldAt: null, legalHoldReason: null },
    });
    // An erasure that fell due under the hold waited for it: it is done now.
    const due = await deps.prisma.erasure.findFirst({
      where: { userId, cancelledAt: null, completedAt: null, dueAt: { lte: new Date() } },
    });
    const outcome = due
      ? await deps.prisma.$transaction(
          (tx) =>
            completeDueErasure(tx, due.id, { now: new Date(), keep: [], keyring: deps.keyring }),
          { timeout: 60_000 },
        )
      : undefined;
    if (outcome?.runs) deps.runKeys?.forget(outcome.runs);
    res.json({ user: userId, erased: outcome?.status === 'completed' });
  });

  /** Attributes kept from apps' reads for want of consent: counts per app, attribute and day. */
  router.get('/consent/withheld', async (req: Request, res: Response) => {
    const query = parsed(withheldQuery, req.query);
    res.json({
      withheld: await withheldCounts(deps.prisma, {
        ...(query.app ? { appId: query.app } : {}),
        ...(query.since ? { since: new Date(query.since) } : {}),
      }),
    });
  });

  router.all('/purposes', methodNotAllowed('GET'));
  router.all('/purposes/:id', methodNotAllowed('PUT', 'DELETE'));
  router.all('/policies', methodNotAllowed('GET', 'POST'));
  router.all('/policies/:policy/:version/:locale', methodNotAllowed('GET'));
  router.all('/consent/withheld', methodNotAllowed('GET'));
  router.all('/users/:user/legal-hold', methodNotAllowed('PUT', 'DELETE'));
  router.all('/apps', methodNotAllowed('GET', 'POST'));
  router.all('/apps/:id', methodNotAllowed('GET', 'PATCH', 'DELETE'));
  router.all('/apps/:id/secret', methodNotAllowed('POST'));
  router.all('/attributes', methodNotAllowed('GET', 'POST'));
  // The OpenID Connect provider's signing keys: a rotation publishes new keys at once and signs
  // with them after the overlap (src/oidc/signing-keys.ts); API processes see it within minutes.
  router.get('/oidc/signing-keys', async (_req: Request, res: Response) => {
    res.json({ keys: await listSigningKeys(deps.prisma) });
  });
  router.post('/oidc/signing-keys/rotate', async (_req: Request, res: Response) => {
    const rotated = await rotateSigningKeys(deps.prisma, deps.keyring);
    res.status(201).json({ rotated, keys: await listSigningKeys(deps.prisma) });
  });
  router.all('/oidc/signing-keys', methodNotAllowed('GET'));
  router.all('/oidc/signing-keys/rotate', methodNotAllowed('POST'));
  router.all('/attributes/:name', methodNotAllowed('DELETE'));
  router.all('/users/:user/profile', methodNotAllowed('GET', 'PATCH'));
  router.use(profileProblems);
  return router;
}
