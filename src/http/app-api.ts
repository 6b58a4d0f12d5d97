import { type Request, type Response, Router } from 'express';
import type { AppRegistry, RegisteredApp } from '../apps/app-registry.js';
import { releaseToApp } from '../consent/release.js';
import type { PrismaClient } from '../db/prisma.js';
import { type Catalogue, loadCatalogue } from '../profile/attribute-catalogue.js';
import {
  appReaches,
  checkPatch,
  type ProfileActor,
  readAppData,
  readProfile,
  writeAppData,
  writeProfile,
} from '../profile/profile-store.js';
import { createClientAuthentication } from './client-credentials.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { HttpProblem } from './problem.js';
import { objectBody, profileProblems } from './profile-problems.js';

/**
 * The app API (`/v1/apps/me/...`), authenticated by the app's client credentials (HTTP Basic,
 * RFC 6749 §2.3.1): a customer's profile as the catalogue lets this app read and write it, and the
 * app's own namespace. `me` is the app the credentials name; an app never addresses another's data.
 * A customer the app may not reach answers 404 like one that does not exist (third-party apps
 * reach only customers who signed in through them).
 */
export function createAppApi(deps: { prisma: PrismaClient; apps: AppRegistry; now?: () => Date }) {
  const router = Router();
  const now = deps.now ?? (() => new Date());
  const authenticatedApp = createClientAuthentication(deps.apps);

  async function reached(req: Request): Promise<{ app: RegisteredApp; userId: string }> {
    const app = await authenticatedApp(req);
    const userId = String(req.params.user);
    if (!(await appReaches(deps.prisma, app, userId))) throw new HttpProblem('user_not_found');
    return { app, userId };
  }

  /** The profile as the catalogue and the customer's consents now let this app read it. */
  async function profileFor(app: RegisteredApp, userId: string, catalogue?: Catalogue) {
    const actor: ProfileActor = { party: 'app', app };
    const profile = await readProfile(
      deps.prisma,
      catalogue ?? (await loadCatalogue(deps.prisma)),
      userId,
      actor,
    );
    return releaseToApp(deps.prisma, { userId, appId: app.id, profile, now: now() });
  }

  router.get('/users/:user/profile', async (req: Request, res: Response) => {
    const { app, userId } = await reached(req);
    res.json(await profileFor(app, userId));
  });
  router.patch('/users/:user/profile', async (req: Request, res: Response) => {
    const { app, userId } = await reached(req);
    const actor: ProfileActor = { party: 'app', app };
    const catalogue = await loadCatalogue(deps.prisma);
    const { values } = checkPatch(catalogue, actor, objectBody(req.body));
    await writeProfile(deps.prisma, userId, actor, values, now());
    res.json(await profileFor(app, userId, catalogue));
  });

  /** The app's own namespace; `:namespace` names it, and only its own is served. */
  async function ownNamespace(req: Request) {
    const target = await reached(req);
    const namespace = req.params.namespace;
    if (namespace !== undefined && namespace !== target.app.id)
      throw new HttpProblem('app_data_forbidden', {
        errors: [
          {
            path: '/namespace',
            in: 'path',
            code: 'app_data_forbidden',
            message: `This app's namespace is '${target.app.id}'`,
          },
        ],
      });
    return target;
  }
  for (const path of ['/users/:user/data', '/users/:user/data/:namespace']) {
    router.get(path, async (req: Request, res: Response) => {
      const { app, userId } = await ownNamespace(req);
      res.json(await readAppData(deps.prisma, userId, app.id));
    });
    router.put(path, async (req: Request, res: Response) => {
      const { app, userId } = await ownNamespace(req);
      const data = objectBody(req.body);
      await writeAppData(deps.prisma, userId, app, data, now());
      res.json(data);
    });
    router.all(path, methodNotAllowed('GET', 'PUT'));
  }
  router.all('/users/:user/profile', methodNotAllowed('GET', 'PATCH'));
  router.use(profileProblems);
  return router;
}
