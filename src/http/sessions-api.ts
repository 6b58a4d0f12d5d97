import { type Request, type Response, Router } from 'express';
import type { SessionStore } from '../sessions/session-store.js';
import type { BearerSessions } from './bearer-session.js';
import { methodNotAllowed } from './method-not-allowed.js';

/**
 * Sessions for apps, as Kratos serves them: who is signed in (`whoami`), the account's second
 * factors (`factors`), and log out (`current`).
 * Names follow OpenID Connect's claims (aal as acr-like level, amr per RFC 8176, auth_time).
 */
export function createSessionsApi(deps: { store: SessionStore; bearerSession: BearerSessions }) {
  const router = Router();
  router.get('/whoami', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    const identity = await deps.store.identity(session.userId);
    res.json({
      session: {
        id: session.id,
        aal: session.aal,
        amr: session.amr,
        auth_time: session.authTime,
        factors: Object.entries(session.factorAuthTimes).map(([amr, authTime]) => ({
          amr,
          auth_time: authTime,
        })),
        expires_at: session.expiresAt,
      },
      identity,
    });
  });
  router.get('/factors', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    res.json({ factors: await deps.store.factors(session.userId) });
  });
  router.delete('/current', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    await deps.store.revoke(session.id);
    res.status(204).end();
  });
  router.all('/whoami', methodNotAllowed('GET'));
  router.all('/factors', methodNotAllowed('GET'));
  router.all('/current', methodNotAllowed('DELETE'));
  return router;
}
