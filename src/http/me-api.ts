import { type NextFunction, type Request, type Response, Router } from 'express';
import type { PrismaClient } from '../db/prisma.js';
import { createExportLink } from '../privacy/export-links.js';
import { loadCatalogue } from '../profile/attribute-catalogue.js';
import {
  checkPatch,
  type ProfileActor,
  readProfile,
  sensitiveChangeRequirement,
  sensitiveOf,
  writeProfile,
} from '../profile/profile-store.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { BearerSessions } from './bearer-session.js';
import { createConsentApi } from './consent-api.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { HttpProblem } from './problem.js';
import { objectBody, profileProblems } from './profile-problems.js';
import { requireSession } from './step-up-problem.js';

export interface MeApiDeps {
  prisma: PrismaClient;
  store: SessionStore;
  bearerSession: BearerSessions;
  /** The step API's router: changes that are journeys (email, factors) are started there. */
  journeys: (req: Request, res: Response, next: NextFunction) => void;
  now?: () => Date;
}

/**
 * Self-service for a signed-in customer (`Authorization: Bearer <session token>`): the profile,
 * sessions, factors, consents, and the changes that are journeys (a new email address, removing a
 * factor), which start here exactly as at `/v1/journeys/{journey}/start`, with the same checks.
 */
export function createMeApi(deps: MeApiDeps) {
  const router = Router();
  const now = deps.now ?? (() => new Date());

  router.get('/', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    const actor: ProfileActor = { party: 'customer', via: 'session', id: session.id };
    res.json(
      await readProfile(deps.prisma, await loadCatalogue(deps.prisma), session.userId, actor),
    );
  });

  /** RFC 7396 merge patch of the profile's attributes: null removes one. */
  router.patch('/', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    const patch = objectBody(req.body);
    const catalogue = await loadCatalogue(deps.prisma);
    const actor: ProfileActor = { party: 'customer', via: 'session', id: session.id };
    const { values } = checkPatch(catalogue, actor, patch);
    // Email, phone, address: where the account is reached and what proves it is theirs.
    if (sensitiveOf(catalogue, values.keys()).length) {
      const aal = await deps.store.accountAal(session.userId);
      requireSession(session, sensitiveChangeRequirement(aal), now());
    }
    await writeProfile(deps.prisma, session.userId, actor, values, now());
    res.json(await readProfile(deps.prisma, catalogue, session.userId, actor));
  });

  router.get('/sessions', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    res.json({ sessions: await deps.store.list(session.userId, session.id) });
  });
  /** Logs out every other session (Kratos' `DELETE /sessions`); this one stays. */
  router.delete('/sessions', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    res.json({ revoked: await deps.store.revokeOthers(session.userId, session.id) });
  });
  router.delete('/sessions/:id', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    if (!(await deps.store.revokeOwn(session.userId, String(req.params.id))))
      throw new HttpProblem('session_not_found');
    res.status(204).end();
  });

  router.get('/factors', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    res.json({ factors: await deps.store.factors(session.userId) });
  });

  /** Starts a journey at the step API as if posted there: same checks, same 201 and view. */
  const startJourney =
    (journey: string, body: (req: Request) => unknown) =>
    (req: Request, res: Response, next: NextFunction) => {
      req.body = body(req);
      req.method = 'POST';
      req.url = `/${journey}/start`;
      deps.journeys(req, res, next);
    };
  // factor-removal@1 asks its own step-up where the account needs one.
  router.delete(
    '/factors/:id',
    startJourney('factor-removal', (req) => ({ factor: String(req.params.id) })),
  );
  // A number verified by a texted code (phone-change@1); one typed into the profile stays unverified.
  router.post(
    '/phone',
    startJourney('phone-change', (req) => req.body ?? {}),
  );
  router.post(
    '/email',
    startJourney('email-change', (req) => req.body ?? {}),
  );

  router.use('/consents', createConsentApi(deps));

  /**
   * A download link for everything held about the customer (GDPR Art. 15, 20): from a sign-in in
   * the last 15 minutes at the account's highest level, three a day, working ten minutes.
   */
  router.post('/export', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    requireSession(
      session,
      sensitiveChangeRequirement(await deps.store.accountAal(session.userId)),
      now(),
    );
    const link = await createExportLink(deps.prisma, { userId: session.userId, now: now() });
    if (link.outcome === 'limited')
      throw new HttpProblem(
        'export_limited',
        { retryAt: link.retryAt.toISOString() },
        {
          headers: {
            'Retry-After': String(
              Math.max(1, Math.ceil((link.retryAt.getTime() - now().getTime()) / 1000)),
            ),
          },
        },
      );
    res
      .status(201)
      .json({ href: `/v1/exports/${link.token}`, expires_at: link.expiresAt.toISOString() });
  });

  // Erase the account (erasure@1): from a recent sign-in at the account's highest level.
  router.delete(
    '/',
    startJourney('erasure', (req) => req.body ?? {}),
  );

  router.all('/', methodNotAllowed('GET', 'PATCH', 'DELETE'));
  router.all('/sessions', methodNotAllowed('GET', 'DELETE'));
  router.all('/sessions/:id', methodNotAllowed('DELETE'));
  router.all('/factors', methodNotAllowed('GET'));
  router.all('/factors/:id', methodNotAllowed('DELETE'));
  router.all('/email', methodNotAllowed('POST'));
  router.all('/phone', methodNotAllowed('POST'));
  router.all('/export', methodNotAllowed('POST'));
  router.use(profileProblems);
  return router;
}
