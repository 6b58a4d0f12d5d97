import { type NextFunction, type Request, type Response, Router } from 'express';
import { receiptOf, withdraw } from '../consent/consent-records.js';
import { consentRequest } from '../consent/consent-request.js';
import { createPolicies } from '../consent/policies.js';
import type { PrismaClient } from '../db/prisma.js';
import type { BearerSessions } from './bearer-session.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { HttpProblem } from './problem.js';

export interface ConsentApiDeps {
  prisma: PrismaClient;
  bearerSession: BearerSessions;
  /** The step API's router: consent@1 is started there. */
  journeys: (req: Request, res: Response, next: NextFunction) => void;
  now?: () => Date;
}

const RECEIPT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A customer's consents (`/v1/me/consents`, with the session): where they stand on each purpose,
 * every receipt, one withdrawal per purpose, and consent@1 to decide again. A withdrawal takes
 * effect on every app's next read (release.ts), not at a token's expiry.
 */
export function createConsentApi(deps: ConsentApiDeps) {
  const router = Router();
  const now = deps.now ?? (() => new Date());

  router.get('/', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    const request = await consentRequest(deps.prisma, {
      userId: session.userId,
      locales: [],
      now: now(),
    });
    const records = await deps.prisma.consentRecord.findMany({
      where: { userId: session.userId },
      orderBy: [{ at: 'desc' }, { id: 'asc' }],
    });
    res.json({ ...request, receipts: records.map(receiptOf) });
  });

  // Decide again on every purpose: consent@1, started as at `/v1/journeys/consent/start`.
  router.post('/', (req: Request, res: Response, next: NextFunction) => {
    req.url = '/consent/start';
    deps.journeys(req, res, next);
  });

  router.get('/receipts/:id', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    const id = String(req.params.id);
    const record = RECEIPT_ID.test(id)
      ? await deps.prisma.consentRecord.findFirst({ where: { id, userId: session.userId } })
      : null;
    // Another customer's receipt is as absent as one that never was.
    if (!record) throw new HttpProblem('consent_not_found');
    res.json(receiptOf(record));
  });

  /** Withdraws one purpose: a new record; the apps it named read without it from now on. */
  router.delete('/:purpose', async (req: Request, res: Response) => {
    const session = await deps.bearerSession(req);
    const purpose = String(req.params.purpose);
    const outcome = await withdraw(deps.prisma, { userId: session.userId, purpose, now: now() });
    if (outcome.outcome === 'unknown') throw new HttpProblem('purpose_not_found');
    if (outcome.outcome === 'required')
      throw new HttpProblem('consent_required', {
        errors: [
          {
            path: '/purpose',
            in: 'path',
            code: 'consent_required',
            message: 'Needed to have an account: erase the account instead',
          },
        ],
      });
    res.json(
      outcome.outcome === 'withdrawn'
        ? { purpose, decision: 'withdrawn', receipt: receiptOf(outcome.record) }
        : // Nothing granted to withdraw: answered alike, so the action can be repeated safely.
          { purpose, decision: 'not_granted' },
    );
  });

  router.all('/', methodNotAllowed('GET', 'POST'));
  router.all('/receipts/:id', methodNotAllowed('GET'));
  router.all('/:purpose', methodNotAllowed('DELETE'));
  return router;
}

/** Published policy documents, for anyone: what a consent page shows (`href` of its policies). */
export function createPolicyPages(deps: { prisma: PrismaClient }) {
  const router = Router();
  const policies = createPolicies(deps.prisma);
  router.get('/:policy/:version/:locale', servePolicyVersion(policies));
  router.all('/:policy/:version/:locale', methodNotAllowed('GET'));
  return router;
}

/** One published version of a policy in one locale, with its content. */
export const servePolicyVersion =
  (policies: ReturnType<typeof createPolicies>) => async (req: Request, res: Response) => {
    const found = await policies.get(
      String(req.params.policy),
      String(req.params.version),
      String(req.params.locale),
    );
    if (!found) throw new HttpProblem('policy_version_not_found');
    res.json(found);
  };
