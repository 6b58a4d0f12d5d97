import { readFileSync } from 'node:fs';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { createLinkCheck } from '../activities/otp/link-check.js';
import type { JourneyEventRecord } from '../analytics/journey-events.js';
import type { PrismaClient } from '../db/prisma.js';
import type { ErrorCode } from '../errors/catalogue.js';
import { objectsOf } from '../journey-kit/secret-fields.js';
import type { JourneyRegistry } from '../journey-registry/registry.js';
import type { RunState } from '../run/run-state.js';
import type { Keyring } from '../security/keyring.js';
import { LINK_TOKEN_PATTERN, parseLinkToken } from '../security/link-token.js';
import {
  runStateQuery,
  type StepAnswer,
  submitStepUpdate,
} from '../temporal-contract/workflow-api.js';
import { fieldErrorsOf } from './field-errors.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { HttpProblem } from './problem.js';
import type { createStepInputSealer } from './seal-step-input.js';
import { sendUpdate } from './update-retry.js';

export interface JourneyLinksDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  registry: JourneyRegistry;
  temporal: { client: Client };
  sealStepInput: ReturnType<typeof createStepInputSealer>;
  recordJourneyEvents: (events: JourneyEventRecord[]) => Promise<void>;
  onRecordFailed?: (error: unknown) => void;
  now?: () => Date;
}

/** What the link page posts: the token from the link's fragment. */
export const linkBody = z.strictObject({
  token: z.string().regex(LINK_TOKEN_PATTERN, 'The token from the link, after its #'),
});

/** What the opener of a link is told: that it worked, and where to go on. Nothing of the run. */
export const CONTINUED = {
  status: 'continued',
  detail: 'Done. Go back to where you started: it goes on there.',
} as const;

/** Whether a step takes a link (`{ link }`, the code challenge's with `link: true`). */
const takesLink = (input: z.ZodType) =>
  objectsOf(input).some((object) => Object.keys(object.shape).includes('link'));

/**
 * Links from messages (account recovery's inbox proof), opened wherever the customer reads their
 * mail. Opening one submits it, as `{ link }`, to the step of the run that asked for it, which
 * checks and consumes it as it would a code. Trust boundary: the link proves an inbox and nothing
 * more. Whoever opens it is told only that it worked: no run id, no view, no journey token. The
 * run goes on where it was started, with the journey token its customer holds (the app polls the
 * run, or the customer goes back to it), so a link forwarded or intercepted hands no one the run.
 */
export function createJourneyLinks(deps: JourneyLinksDeps): Router {
  const { prisma, registry, temporal } = deps;
  const now = deps.now ?? (() => new Date());
  const linkMatches = createLinkCheck(deps.keyring);
  const router = Router();

  const refuse = (code: ErrorCode, journey?: string) =>
    new HttpProblem(
      code,
      journey ? { restart: { method: 'POST', href: `/v1/journeys/${journey}/start` } } : {},
    );

  router.post('/continue', async (req: Request, res: Response) => {
    const parsed = linkBody.safeParse(req.body ?? {});
    if (!parsed.success)
      throw new HttpProblem('invalid_input', { errors: fieldErrorsOf(parsed.error.issues) });
    const { token } = parsed.data;
    const { challengeId } = parseLinkToken(token) as { challengeId: string };
    const challenge = await prisma.otpChallenge.findUnique({
      where: { id: challengeId },
      select: {
        id: true,
        journeyId: true,
        linkHash: true,
        codeKeyId: true,
        consumedAt: true,
        expiresAt: true,
      },
    });
    // A wrong secret never reaches the run, so it cannot spend the run's code attempts.
    if (!challenge || !linkMatches(challenge, token)) throw refuse('link_invalid');
    const started = await prisma.journeyEvent.findFirst({
      where: { journeyId: challenge.journeyId, type: 'started' },
      select: { journey: true, version: true },
    });
    const definition = started && registry.get(started.journey, started.version);
    if (!definition) throw refuse('link_invalid');
    if (challenge.consumedAt) throw refuse('link_used');
    if (challenge.expiresAt <= now()) throw refuse('link_expired', definition.id);

    const handle = temporal.client.workflow.getHandle(challenge.journeyId);
    let view: RunState;
    try {
      view = await handle.query(runStateQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw refuse('link_expired', definition.id);
      throw error;
    }
    if (view.status === 'expired' || view.status === 'abandoned')
      throw refuse('link_expired', definition.id);
    const step = view.step && registry.step(definition, view.step.name);
    // The run has moved on (its code was entered) or ended: the link has nothing left to do.
    if (view.status !== 'active' || !view.step || !step || !takesLink(step.input))
      throw refuse('link_used');

    const sealed = await deps.sealStepInput(step, { link: token });
    if (!sealed.ok) throw refuse('link_invalid');
    let answer: StepAnswer;
    try {
      const submission = { step: view.step.name, input: sealed.sealed };
      answer = await sendUpdate((updateId) =>
        handle.executeUpdate(submitStepUpdate, { args: [submission], updateId }),
      );
    } catch (error) {
      // Moved on between the read and the update.
      if (error instanceof WorkflowUpdateFailedError || error instanceof WorkflowNotFoundError)
        throw refuse('link_used');
      throw error;
    }
    const { unrecorded, ...state } = answer;
    if (unrecorded?.length)
      await deps.recordJourneyEvents(unrecorded).catch((error) => deps.onRecordFailed?.(error));
    const refused = state.step?.name === view.step.name ? state.step.error : undefined;
    if (refused?.code === 'code_expired') throw refuse('link_expired', definition.id);
    if (refused?.code === 'code_used') throw refuse('link_used');
    if (refused) throw refuse('link_invalid');
    res.json(CONTINUED);
  });
  router.all('/continue', methodNotAllowed('POST'));
  return router;
}

const PAGE_DIR = new URL('./link-pages/', import.meta.url);

/**
 * The page a link opens (`/continue#<token>`): it asks the customer to confirm, then posts the
 * token from the fragment. Mail scanners that fetch links, even running scripts, do not click, so
 * they spend nothing; the fragment never reaches a server or a proxy's log.
 */
export function createContinuePage(): Router {
  const page = readFileSync(new URL('continue.html', PAGE_DIR));
  const script = readFileSync(new URL('continue.js', PAGE_DIR));
  const router = Router();
  const headers = (_req: Request, res: Response, next: NextFunction) => {
    res.set({
      'Content-Security-Policy': [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "style-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      // The token is in the fragment, which no Referer carries; nothing else is to leak either.
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    next();
  };
  router.get('/', headers, (_req, res) => {
    res.type('html').send(page);
  });
  router.get('/continue.js', headers, (_req, res) => {
    res.type('text/javascript').send(script);
  });
  router.all(['/', '/continue.js'], methodNotAllowed('GET'));
  return router;
}
