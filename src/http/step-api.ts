import { type Request, type Response, Router } from 'express';
import type { BearerSessions } from './bearer-session.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { createStepService, type StepServiceDeps } from './step-service.js';

export interface StepApiDeps extends StepServiceDeps {
  /** Resolves `Authorization: Bearer` for journeys that start from a session. */
  bearerSession: BearerSessions;
  /** Names who asks (pseudonyms of the client's network: requester.ts), for per-requester limits. */
  requesterOf: (req: Request) => string;
}

/** The step API over HTTP: start a journey, read its current step, submit a step (step-service.ts). */
export function createStepApi(deps: StepApiDeps, service = createStepService(deps)): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.json(service.list());
  });

  router.post('/:journey/start', async (req: Request, res: Response) => {
    const started = await service.start({
      journey: String(req.params.journey),
      query: req.query,
      body: req.body,
      channel: req.get('parcours-channel'),
      requester: deps.requesterOf(req),
      session: () => deps.bearerSession(req),
    });
    res.status(201).location(started.location).json(started.view);
  });

  router.get('/:id', async (req: Request, res: Response) => {
    res.json(await service.read(String(req.params.id), req.get('journey-token')));
  });

  router.post('/:id/steps/:step', async (req: Request, res: Response) => {
    res.json(
      await service.submit({
        id: String(req.params.id),
        token: req.get('journey-token'),
        step: String(req.params.step),
        body: req.body,
        userAgent: req.get('user-agent'),
      }),
    );
  });

  router.all('/', methodNotAllowed('GET'));
  router.all('/:journey/start', methodNotAllowed('POST'));
  router.all('/:id', methodNotAllowed('GET'));
  router.all('/:id/steps/:step', methodNotAllowed('POST'));
  return router;
}
