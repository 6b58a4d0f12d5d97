import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { journeyWorkflowV2 } from '../../workers/workflow/journey-workflow.js';
import type { JourneyDefinition } from '../engine/define-journey.js';
import { journeyKey } from '../engine/define-journey.js';
import {
  JOURNEY_WORKFLOW,
  journeySearchAttributes,
  rejectionCodes,
  settleUpdate,
  submitStepUpdate,
  viewQuery,
} from '../engine/messages.js';
import type { JourneyRegistry } from '../engine/registry.js';
import { initialView, type RunView } from '../engine/view.js';
import { fieldErrorsOf } from './field-errors.js';
import type { createJourneyTokens } from './journey-token.js';
import { HttpProblem, sendProblem } from './problem.js';
import type { createPublicViews } from './public-view.js';
import type { createStepInputSealer } from './seal-step-input.js';

export interface StepApiDeps {
  registry: JourneyRegistry;
  temporal: { client: Client; taskQueue: string };
  tokens: ReturnType<typeof createJourneyTokens>;
  sealStepInput: ReturnType<typeof createStepInputSealer>;
  publicView: ReturnType<typeof createPublicViews>;
  /** Deployment settings per journey id (delays, policy versions). */
  journeySettings?: Record<string, Record<string, unknown>>;
  stepTimeoutMs?: number;
}

const notFound = () => new HttpProblem(404, 'journey_not_found', 'No journey with this id');

/** 128 random bits and more: the journey id is not guessable (it is also the workflow id). */
const newJourneyId = () => `jrn_${randomBytes(18).toString('base64url')}`;

const rejectionOf = (error: unknown): string | undefined =>
  error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure
    ? (error.cause.type ?? undefined)
    : undefined;

/** The step API: start a journey, read its current step, submit a step. */
export function createStepApi(deps: StepApiDeps): Router {
  const { registry, temporal, tokens, sealStepInput, publicView } = deps;
  const router = Router();

  /** The run named by the URL, if the Journey-Token proves the caller started it; else 404 as for an unknown id. */
  async function authorisedRun(
    req: Request,
  ): Promise<{ id: string; definition: JourneyDefinition }> {
    const id = String(req.params.id);
    const claims = await tokens.verify(req.get('journey-token'), id);
    const definition = claims && registry.get(claims.journey, claims.version);
    if (!definition) throw notFound();
    return { id, definition };
  }

  async function currentView(id: string): Promise<RunView> {
    try {
      return await temporal.client.workflow.getHandle(id).query(viewQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw notFound();
      throw error;
    }
  }

  router.get('/', (_req, res) => {
    const latest = new Set(
      registry
        .list()
        .map((definition) =>
          journeyKey(definition.id, registry.latest(definition.id)?.version ?? 0),
        ),
    );
    res.json({
      journeys: registry.list().map((definition) => ({
        journey: definition.id,
        version: definition.version,
        title: definition.title,
        latest: latest.has(journeyKey(definition.id, definition.version)),
        steps: [...new Set(Object.values(definition.steps).map((step) => step.name))],
      })),
    });
  });

  router.post('/:journey', async (req: Request, res: Response) => {
    const journey = String(req.params.journey);
    const version = req.query.version === undefined ? undefined : Number(req.query.version);
    const definition =
      version === undefined ? registry.latest(journey) : registry.get(journey, version);
    if (!definition)
      throw new HttpProblem(
        404,
        'unknown_journey',
        `No journey '${journey}'${version === undefined ? '' : ` version ${version}`}`,
      );
    const noInput = z.strictObject({}).safeParse(req.body ?? {});
    if (!noInput.success) {
      throw new HttpProblem(422, 'invalid_input', 'Starting this journey takes no input', {
        errors: fieldErrorsOf(noInput.error.issues),
      });
    }
    const id = newJourneyId();
    const settings = deps.journeySettings?.[definition.id];
    const first = initialView(definition, {
      journeyId: id,
      settings: definition.settings.parse(settings ?? {}),
    });
    const start = {
      workflowId: id,
      taskQueue: temporal.taskQueue,
      args: [
        {
          journey: definition.id,
          version: definition.version,
          settings,
          stepTimeoutMs: deps.stepTimeoutMs,
        },
      ] as Parameters<typeof journeyWorkflowV2>,
      workflowIdConflictPolicy: 'FAIL' as const,
      typedSearchAttributes: [
        { key: journeySearchAttributes.journey, value: definition.id },
        { key: journeySearchAttributes.version, value: definition.version },
        { key: journeySearchAttributes.status, value: 'active' },
        // The run lists its first step from the start: it does not upsert it again.
        ...(first?.step ? [{ key: journeySearchAttributes.step, value: first.step.name }] : []),
      ],
    };
    // A journey that waits for the customer before doing anything answers from its initial state
    // while the run starts (one plain start); one that works first answers once it has settled.
    let view = first;
    if (view)
      await temporal.client.workflow.start<typeof journeyWorkflowV2>(JOURNEY_WORKFLOW, start);
    else
      view = await temporal.client.workflow.executeUpdateWithStart(settleUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof journeyWorkflowV2>(
          JOURNEY_WORKFLOW,
          start,
        ),
      });
    const token = await tokens.sign({ id, journey: definition.id, version: definition.version });
    res
      .status(201)
      .location(`${req.baseUrl}/${id}`)
      .json({ ...(await publicView(id, definition, view)), token });
  });

  router.get('/:id', async (req: Request, res: Response) => {
    const { id, definition } = await authorisedRun(req);
    res.json(await publicView(id, definition, await currentView(id)));
  });

  router.post('/:id/steps/:step', async (req: Request, res: Response) => {
    const { id, definition } = await authorisedRun(req);
    const stepName = String(req.params.step);
    const step = registry.step(definition, stepName);
    if (!step)
      throw new HttpProblem(
        404,
        'unknown_step',
        `'${stepName}' is not a step of ${journeyKey(definition.id, definition.version)}`,
      );
    const sealed = await sealStepInput(step, req.body);
    if (!sealed.ok)
      throw new HttpProblem(422, 'invalid_input', 'The step input is not valid', {
        errors: sealed.errors,
      });

    let view: RunView;
    try {
      view = await temporal.client.workflow
        .getHandle(id)
        .executeUpdate(submitStepUpdate, { args: [{ step: stepName, input: sealed.sealed }] });
    } catch (error) {
      const rejection = rejectionOf(error);
      const conflicts: Record<string, string> = {
        [rejectionCodes.stepNotCurrent]: `'${stepName}' is not the current step`,
        [rejectionCodes.journeyBusy]:
          'The journey is still working on an earlier submission: retry',
        [rejectionCodes.journeyClosed]: 'The journey has ended',
      };
      if ((rejection && conflicts[rejection]) || error instanceof WorkflowNotFoundError) {
        const current = await publicView(id, definition, await currentView(id));
        const title =
          conflicts[rejection ?? rejectionCodes.journeyClosed] ?? 'The journey has ended';
        return sendProblem(
          res,
          new HttpProblem(409, rejection ?? rejectionCodes.journeyClosed, title, { view: current }),
        );
      }
      throw error;
    }
    const next = await publicView(id, definition, view);
    const rejected = view.step?.name === stepName ? view.step.error : undefined;
    if (rejected) {
      const { code, message, path, status, detail } = rejected;
      // RFC 9110 §10.2.3: tell a throttled client when to come back.
      if (status === 429 && typeof detail?.retryAt === 'string') {
        res.set(
          'Retry-After',
          String(Math.max(1, Math.ceil((Date.parse(detail.retryAt) - Date.now()) / 1000))),
        );
      }
      return sendProblem(
        res,
        new HttpProblem(status ?? 422, code, message, {
          errors: [{ path: path ?? '', code, message, ...detail }],
          view: next,
        }),
      );
    }
    res.json(next);
  });

  return router;
}
