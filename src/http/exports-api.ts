import { type Request, type Response, Router } from 'express';
import type { PrismaClient } from '../db/prisma.js';
import { customerExport } from '../privacy/data-export.js';
import { followExportLink } from '../privacy/export-links.js';
import type { SessionStore } from '../sessions/session-store.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { HttpProblem } from './problem.js';

/**
 * Export downloads (`/v1/exports/{token}`): the link is the credential (256 bits, ten minutes,
 * kept as its hash), so it is followed without a session, from the browser that asked for it. A
 * link unknown, expired or malformed answers alike. Never cached, never sent on as a referrer.
 */
export function createExportsApi(deps: {
  prisma: PrismaClient;
  store: SessionStore;
  now?: () => Date;
}) {
  const router = Router();
  const now = deps.now ?? (() => new Date());
  router.get('/:token', async (req: Request, res: Response) => {
    const link = await followExportLink(deps.prisma, {
      token: String(req.params.token),
      now: now(),
    });
    if (!link) throw new HttpProblem('export_not_found');
    const data = await customerExport(deps.prisma, {
      userId: link.userId,
      factors: await deps.store.factors(link.userId),
      now: now(),
    });
    res
      .set('Referrer-Policy', 'no-referrer')
      .attachment(`parcours-export-${now().toISOString().slice(0, 10)}.json`)
      .json(data);
  });
  router.all('/:token', methodNotAllowed('GET'));
  return router;
}
