import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { journeyWorkflowV3 } from '../../workers/workflow/journey-workflow.js';
import { createJourneyEventLog, type JourneyEventRecord } from '../analytics/journey-events.js';
import { type ErrorCode, errorSpec, isErrorCode } from '../errors/catalogue.js';
import type { JourneyDefinition, SessionRef } from '../journey-kit/define-journey.js';
import { DEFAULT_JOURNEY_LIFETIME_MS, journeyKey } from '../journey-kit/define-journey.js';
import { isAllowedReturnTo, returnToFieldsOf } from '../journey-kit/start-fields.js';
import type { JourneyRegistry } from '../journey-registry/registry.js';
import { initialRunState, type RunState, stepTimeoutMs } from '../run/run-state.js';
import type { SessionGrants } from '../sessions/session-grant.js';
import type { ActiveSession, SessionStore } from '../sessions/session-store.js';
import {
  JOURNEY_WORKFLOW,
  type JourneyWorkflowArgs,
  machineInputOf,
  refusedSubmissionSignal,
  rejectionCodes,
  runStateQuery,
  type StepAnswer,
  settleUpdate,
  submitStepUpdate,
} from '../temporal-contract/workflow-api.js';
import { fieldErrorsOf } from './field-errors.js';
import type { createJourneyTokens } from './journey-token.js';
import {
  FINISHING_MARGIN_MS,
  journeyStartOptions,
  type PendingRun,
  PendingRunClosedError,
  type PendingRuns,
} from './pending-runs.js';
import { type FieldError, HttpProblem } from './problem.js';
import type { createPublicViews, PublicView } from './public-view.js';
import { channelName, versionParam } from './query-fields.js';
import { createRefusalBudget } from './refusal-budget.js';
import type { createStepInputSealer } from './seal-step-input.js';
import { createSeenSteps } from './seen-steps.js';
import { createStartSchemas, pinnedStartPath, startInputOf } from './start-schemas.js';
import { requireSession, STEP_UP_JOURNEY } from './step-up-problem.js';
import { sendUpdate } from './update-retry.js';

export interface StepServiceDeps {
  registry: JourneyRegistry;
  temporal: { client: Client; taskQueue: string };
  /** Runs opened at their first step, which Temporal starts with their first submission. */
  pendingRuns: PendingRuns;
  tokens: ReturnType<typeof createJourneyTokens>;
  sealStepInput: ReturnType<typeof createStepInputSealer>;
  publicView: ReturnType<typeof createPublicViews>;
  /** Deployment settings per journey id (delays, policy versions). */
  journeySettings?: Record<string, Record<string, unknown>>;
  stepTimeoutMs?: number;
  /** Overrides every journey's lifetime (tests and deployments with other needs). */
  journeyLifetimeMs?: number;
  /** The highest level an account can reach, for journeys that demand `accountAal`. */
  accountAal: (userId: string) => Promise<number>;
  /** Signs the session reference a run is given, bound to that run (trust boundary 1). */
  sessionGrants: SessionGrants;
  /** Where a journey may send the customer back to (`return_to`): absolute URL prefixes. */
  returnToAllowed: readonly string[];
  now?: () => Date;
  /** Hears of a refused submission the run could not be told of (its funnel misses that refusal). */
  onCountFailed?: (error: unknown) => void;
  /** Writes journey events ((journeyId, seq) keeps one of each). */
  recordJourneyEvents: (events: JourneyEventRecord[]) => Promise<void>;
  /** Hears of a step's journey events not written now (the run writes them with its next activity). */
  onRecordFailed?: (error: unknown) => void;
  /** Names the device a new session was handed to (the customer's session list shows it). */
  sessions?: Pick<SessionStore, 'describeDevice'>;
}

/** The session a completed view hands over, if it opens one. */
function openedSessionOf(result: unknown): string | undefined {
  const opened = result as { type?: string; session?: { id?: unknown } } | undefined;
  return opened?.type === 'session' && typeof opened.session?.id === 'string'
    ? opened.session.id
    : undefined;
}

const notFound = () => new HttpProblem('journey_not_found');

/** Where journeys start: an expired run's answer links to it. */
const API_BASE = '/v1/journeys';

/**
 * A start pins a version in its path (`registration@1`), not in its query: the body a start takes
 * depends on the version, and an OpenAPI document can tie a body to a path but not to a query.
 */
const startQuery = z.object({
  version: z
    .never({ error: 'Pin a version in the path instead: /v1/journeys/{journey}@{version}/start' })
    .optional(),
});

/**
 * The app a run is started from (`Parcours-Channel`), recorded with its journey events so analysts
 * can compare apps: a short lower-case name; absent, `default`.
 */
const channelHeader = channelName().optional();

/** 128 random bits and more: the journey id is not guessable (it is also the workflow id). */
const newJourneyId = () => `jrn_${randomBytes(18).toString('base64url')}`;

const rejectionOf = (error: unknown): ErrorCode | undefined =>
  error instanceof WorkflowUpdateFailedError &&
  error.cause instanceof ApplicationFailure &&
  isErrorCode(error.cause.type)
    ? error.cause.type
    : undefined;

/** What starts a run: the journey named in the path, and what the request carries. */
export interface StartRequest {
  /** `registration` (the latest version) or `registration@1`. */
  journey: string;
  query: unknown;
  body: unknown;
  /** The `Parcours-Channel` header, as sent. */
  channel: string | undefined;
  /** Who asks (pseudonyms of the client's network: requester.ts), for per-requester limits. */
  requester: string;
  /** The session the journey starts from, for journeys that need one (401 problem without). */
  session: () => Promise<ActiveSession>;
}

/** What a submission carries. */
export interface SubmitRequest {
  id: string;
  /** The run's Journey-Token, as sent. */
  token: string | undefined;
  step: string;
  body: unknown;
  userAgent: string | undefined;
}

/** An answer the run refused, as a problem carrying the view (and `Retry-After` when throttled). */
export type StepService = ReturnType<typeof createStepService>;

/**
 * The step API's work, apart from HTTP: start a journey, read its current step, submit a step. The
 * JSON API (step-api.ts) and the hosted pages (src/pages) both drive runs through it, each with
 * its own requester, so limits count the customer's network whichever way they come. Every refusal
 * is thrown as an HttpProblem.
 */
export function createStepService(deps: StepServiceDeps) {
  const { registry, temporal, tokens, sealStepInput, publicView } = deps;
  const now = deps.now ?? (() => new Date());
  const seenSteps = createSeenSteps();
  const refusalBudget = createRefusalBudget();
  const startSchemaOf = createStartSchemas(deps.returnToAllowed);

  /** `registration` names the latest version, `registration@1` one version (as journeyKey writes it). */
  function definitionNamed(name: string): JourneyDefinition | undefined {
    const at = name.lastIndexOf('@');
    if (at < 0) return registry.latest(name);
    const version = versionParam().safeParse(name.slice(at + 1));
    return version.success ? registry.get(name.slice(0, at), version.data) : undefined;
  }

  /** The start body, parsed by the journey's start schema; return addresses must be allow-listed. */
  function startInput(definition: JourneyDefinition, body: unknown): Record<string, unknown> {
    const schema = startInputOf(definition);
    const parsed = schema.safeParse(body ?? {});
    if (!parsed.success)
      throw new HttpProblem('invalid_input', { errors: fieldErrorsOf(parsed.error.issues) });
    const input = parsed.data as Record<string, unknown>;
    const refused = returnToFieldsOf(schema).filter(
      (field) =>
        typeof input[field] === 'string' &&
        !isAllowedReturnTo(input[field] as string, deps.returnToAllowed),
    );
    if (refused.length)
      throw new HttpProblem('invalid_input', {
        errors: refused.map((field) => ({
          path: `/${field}`,
          code: 'return_to_not_allowed' satisfies ErrorCode,
          message: errorSpec('return_to_not_allowed').message,
        })),
      });
    return input;
  }

  /**
   * The session a journey starts from: 401 without one, 403 naming the requirement it misses. The
   * run gets the reference signed for it alone (its id, journey and lifetime, and what the journey
   * demanded), so the worker can tell it came from here (src/sessions/session-grant.ts).
   */
  async function startingSession(
    sessionOf: () => Promise<ActiveSession>,
    definition: JourneyDefinition,
    settings: Record<string, unknown>,
    run: string,
  ): Promise<SessionRef | undefined> {
    if (!definition.start?.session) return undefined;
    const { expiresAt: _, ...session } = await sessionOf();
    const demand = definition.start.session(settings);
    // The account's highest level, resolved now: aal 2 once it has a TOTP key or a passkey.
    const accountAal = demand.accountAal ? await deps.accountAal(session.userId) : 1;
    const aal = Math.max(demand.aal ?? 1, accountAal) as 1 | 2 | 3;
    requireSession(session, { ...demand, ...(aal > 1 ? { aal } : {}) }, now(), {
      stepUp: registry.latest(STEP_UP_JOURNEY) !== undefined,
    });
    return deps.sessionGrants.sign(session, {
      run,
      journey: journeyKey(definition.id, definition.version),
      notAfter: new Date(
        now().getTime() + lifetimeOf(definition) + FINISHING_MARGIN_MS,
      ).toISOString(),
      demand,
    });
  }

  /** A journey's deployment settings, parsed once per definition (starts and the sealer read them). */
  const parsedSettings = new Map<JourneyDefinition, Record<string, unknown>>();
  const settingsOf = (definition: JourneyDefinition): Record<string, unknown> => {
    let settings = parsedSettings.get(definition);
    if (!settings) {
      settings = definition.settings.parse(deps.journeySettings?.[definition.id] ?? {}) as Record<
        string,
        unknown
      >;
      parsedSettings.set(definition, settings);
    }
    return settings;
  };

  const lifetimeOf = (definition: JourneyDefinition) =>
    deps.journeyLifetimeMs ?? definition.lifetimeMs ?? DEFAULT_JOURNEY_LIFETIME_MS;

  /**
   * The run named by the URL, if the Journey-Token proves the caller started it; else 404 as for
   * an unknown id. A run whose token's lifetime ran out is `expired`.
   */
  async function authorisedRun(
    id: string,
    token: string | undefined,
  ): Promise<{ id: string; definition: JourneyDefinition; expired: boolean }> {
    const claims = await tokens.verify(token, id);
    const definition = claims && registry.get(claims.journey, claims.version);
    if (!definition) throw notFound();
    return { id, definition, expired: claims.expired === true };
  }

  /** An expired run's view names a fresh start, as Kratos's replacement flow does. */
  const expiredView = (id: string, definition: JourneyDefinition) => ({
    id,
    journey: definition.id,
    version: definition.version,
    status: 'expired' as const,
    restart: { method: 'POST', href: `${API_BASE}/${definition.id}/start` },
  });

  async function currentView(id: string, definition: JourneyDefinition): Promise<RunState> {
    const pending = await deps.pendingRuns.find(id);
    if (pending) return pendingView(definition, pending);
    try {
      return await temporal.client.workflow.getHandle(id).query(runStateQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw notFound();
      throw error;
    }
  }

  /** Why a submission to `step` cannot enter a run showing `view`, if it cannot. */
  function refusalOf(view: RunState, step: string): ErrorCode | undefined {
    if (view.status !== 'active') return rejectionCodes.journeyClosed;
    if (!view.step) return rejectionCodes.journeyBusy;
    if (view.step.name !== step) return rejectionCodes.stepNotCurrent;
    return undefined;
  }

  /**
   * A submission the run cannot take, with the run's current view. A run its lifetime ended answers
   * 410 as an expired token does. A refusal is never where a secret is shown: a token in the view
   * stays for the answer it belongs to.
   */
  async function conflictProblem(
    id: string,
    definition: JourneyDefinition,
    code: ErrorCode,
    known?: RunState,
  ): Promise<HttpProblem> {
    const current = known ?? (await currentView(id, definition));
    seenSteps.remember(id, current);
    if (current.status === 'expired') {
      const view = expiredView(id, definition);
      return new HttpProblem('journey_expired', { view, restart: view.restart });
    }
    const view = await publicView(id, definition, current, { revealSecrets: false });
    return new HttpProblem(code, { view });
  }

  /**
   * A run's answer, its events written first: a run waiting for its customer writes its own only
   * with its next activity, and the funnel is to show where it waits now. A failed write changes
   * no answer (the run writes them later all the same).
   */
  async function recorded(answer: StepAnswer): Promise<RunState> {
    const { unrecorded, ...state } = answer;
    if (unrecorded?.length)
      await deps.recordJourneyEvents(unrecorded).catch((error) => deps.onRecordFailed?.(error));
    return state;
  }

  /**
   * Opens a run at its first step: its arguments and its `started` and `step_entered` events, as
   * the run itself would record them, now. The sweep starts it if no submission has by the time
   * that step would time out.
   */
  async function openRun(
    id: string,
    definition: JourneyDefinition,
    args: JourneyWorkflowArgs,
    step: string,
  ): Promise<void> {
    const at = now().getTime();
    const events = createJourneyEventLog(
      {
        journeyId: id,
        journey: definition.id,
        version: definition.version,
        ...(args.channel ? { channel: args.channel } : {}),
      },
      () => at,
    );
    events.push('started');
    events.push('step_entered', step);
    const recorded = events.drain();
    const lifetimeMs = lifetimeOf(definition);
    const stepDefinition = registry.step(definition, step);
    const waits = stepDefinition ? stepTimeoutMs(stepDefinition, args) : lifetimeMs;
    await deps.pendingRuns.open(
      { id, args: { ...args, lifetimeMs, opened: { at, step, events: recorded.length } } },
      at + Math.min(waits, lifetimeMs),
      recorded,
    );
  }

  /** A run still waiting for its first submission shows its first step. */
  function pendingView(definition: JourneyDefinition, run: PendingRun): RunState {
    const view = initialRunState(
      definition,
      machineInputOf(run.id, run.args, run.args.settings ?? {}),
    );
    // A version's machine does not change: what waited at its first step when opened still does.
    if (!view) throw new Error(`Run ${run.id} was opened, yet its journey does not wait first`);
    return view;
  }

  /**
   * Tells the run of a submission refused here, so its funnel counts it with its error codes like a
   * refusal the run made itself. Counting must never change the answer: a run that ended meanwhile,
   * or a Temporal hiccup, leaves this refusal uncounted (`deps.onCountFailed` hears of it), and so
   * does a run past its refusal budget (refusal-budget.ts), whose history must stay bounded.
   */
  async function countRefusal(id: string, stepName: string, errors: FieldError[]) {
    if (!refusalBudget.take(id)) return;
    const refusal = { step: stepName, codes: [...new Set(errors.map((error) => error.code))] };
    try {
      // A run still waiting for its first submission is started to be told.
      const pending = await deps.pendingRuns.toStart(id);
      if (pending) await deps.pendingRuns.refused(pending, refusal);
      else await temporal.client.workflow.getHandle(id).signal(refusedSubmissionSignal, refusal);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError || error instanceof PendingRunClosedError))
        deps.onCountFailed?.(error);
    }
  }

  /** Every journey with its versions, steps and start schema. */
  function list() {
    const latest = new Set(
      registry
        .list()
        .map((definition) =>
          journeyKey(definition.id, registry.latest(definition.id)?.version ?? 0),
        ),
    );
    return {
      journeys: registry.list().map((definition) => ({
        journey: definition.id,
        version: definition.version,
        title: definition.title,
        latest: latest.has(journeyKey(definition.id, definition.version)),
        steps: [...new Set(Object.values(definition.steps).map((step) => step.name))],
        start: {
          method: 'POST',
          href: pinnedStartPath(definition),
          schema: startSchemaOf(definition),
        },
      })),
    };
  }

  /** Starts a run: its first view, with the token that proves who started it, and its address. */
  async function start(
    request: StartRequest,
  ): Promise<{ location: string; view: PublicView & { token: string } }> {
    const { journey } = request;
    const query = startQuery.safeParse(request.query);
    if (!query.success)
      throw new HttpProblem('invalid_input', {
        errors: fieldErrorsOf(query.error.issues).map((error) => ({ ...error, in: 'query' })),
      });
    const definition = definitionNamed(journey);
    if (!definition)
      throw new HttpProblem('unknown_journey', {}, { title: `No journey '${journey}'` });
    const settings = settingsOf(definition);
    const id = newJourneyId();
    const session = await startingSession(request.session, definition, settings, id);
    const startBody = startInput(definition, request.body);
    const channel = channelHeader.safeParse(request.channel);
    if (!channel.success)
      throw new HttpProblem('invalid_input', {
        errors: fieldErrorsOf(channel.error.issues).map((error) => ({
          ...error,
          path: '/parcours-channel',
          in: 'header',
        })),
      });
    const args: JourneyWorkflowArgs = {
      journey: definition.id,
      version: definition.version,
      // Parsed, defaults filled in: a default changed in a later release leaves this run as it
      // started (the run replays its history with these, not with the new default).
      settings,
      ...(deps.stepTimeoutMs !== undefined ? { stepTimeoutMs: deps.stepTimeoutMs } : {}),
      start: startBody,
      requester: request.requester,
      ...(channel.data ? { channel: channel.data } : {}),
      lifetimeMs: lifetimeOf(definition),
      ...(session ? { session } : {}),
    };
    const first = initialRunState(definition, machineInputOf(id, args, settings));
    let view: RunState;
    if (first?.step) {
      // A journey that waits for the customer before doing anything is opened here; Temporal starts
      // it with its first submission (pending-runs.ts).
      view = first;
      await openRun(id, definition, args, first.step.name);
    } else {
      // One that works first answers once it has settled.
      view = await recorded(
        await temporal.client.workflow.executeUpdateWithStart(settleUpdate, {
          startWorkflowOperation: new WithStartWorkflowOperation<typeof journeyWorkflowV3>(
            JOURNEY_WORKFLOW,
            {
              ...journeyStartOptions(temporal.taskQueue, id, args, {
                closeBy: now().getTime() + lifetimeOf(definition) + FINISHING_MARGIN_MS,
                now: now().getTime(),
              }),
              workflowIdConflictPolicy: 'FAIL',
            },
          ),
        }),
      );
    }
    seenSteps.remember(id, view);
    const token = await tokens.sign(
      { id, journey: definition.id, version: definition.version },
      lifetimeOf(definition),
    );
    return {
      // Absolute from the root: `/v1/me` forwards its changes here (me-api.ts).
      location: `${API_BASE}/${id}`,
      view: { ...(await publicView(id, definition, view)), token },
    };
  }

  /** A run's current view, for the holder of its token. */
  async function read(id: string, token: string | undefined) {
    const { definition, expired } = await authorisedRun(id, token);
    if (expired) return expiredView(id, definition);
    const view = await currentView(id, definition);
    seenSteps.remember(id, view);
    return publicView(id, definition, view);
  }

  /** Submits a step of a run: the next view, or a problem carrying the view as it stands. */
  async function submit(request: SubmitRequest): Promise<PublicView> {
    const { id, definition, expired } = await authorisedRun(request.id, request.token);
    if (expired) {
      const view = expiredView(id, definition);
      throw new HttpProblem('journey_expired', { view, restart: view.restart });
    }
    const stepName = request.step;
    const step = registry.step(definition, stepName);
    if (!step)
      throw new HttpProblem(
        'unknown_step',
        {},
        {
          title: `'${stepName}' is not a step of ${journeyKey(definition.id, definition.version)}`,
        },
      );
    // A submission to a step the journey is not at answers 409 whatever its body, and costs no
    // argon2 hash or vault write: unless this instance last showed that very step, the journey is
    // asked where it is before the body is sealed, and always before a body is refused as invalid.
    // The update's validator decides in the end (the journey may move on in between).
    const refusal = async (): Promise<HttpProblem | undefined> => {
      const current = await currentView(id, definition);
      seenSteps.remember(id, current);
      const refused = refusalOf(current, stepName);
      return refused ? conflictProblem(id, definition, refused, current) : undefined;
    };
    const asked = !seenSteps.shows(id, stepName);
    if (asked) {
      const refused = await refusal();
      if (refused) throw refused;
    }
    const sealed = await sealStepInput(step, request.body, settingsOf(definition));
    if (!sealed.ok) {
      const refused = asked ? undefined : await refusal();
      if (refused) throw refused;
      await countRefusal(id, stepName, sealed.errors);
      throw new HttpProblem(
        'invalid_input',
        { errors: sealed.errors },
        { title: 'The step input is not valid' },
      );
    }

    let view: RunState;
    const submission = { step: stepName, input: sealed.sealed };
    try {
      // The first submission of a run opened here starts it in Temporal.
      const pending = await deps.pendingRuns.toStart(id);
      view = await recorded(
        pending
          ? await deps.pendingRuns.submit(pending, submission)
          : await sendUpdate((updateId) =>
              temporal.client.workflow
                .getHandle(id)
                .executeUpdate(submitStepUpdate, { args: [submission], updateId }),
            ),
      );
    } catch (error) {
      const rejection = rejectionOf(error);
      const conflict =
        error instanceof WorkflowNotFoundError || error instanceof PendingRunClosedError
          ? rejectionCodes.journeyClosed
          : Object.values(rejectionCodes).find(
              (code) => code === rejection && code !== rejectionCodes.invalidInput,
            );
      if (conflict) throw await conflictProblem(id, definition, conflict);
      throw error;
    }
    seenSteps.remember(id, view);
    const next = await publicView(id, definition, view);
    const rejected = view.step?.name === stepName ? view.step.error : undefined;
    if (rejected) {
      const { code, message, path, status, detail } = rejected;
      // RFC 9110 §10.2.3: tell a throttled client when to come back.
      const retryAt = typeof detail?.retryAt === 'string' ? Date.parse(detail.retryAt) : Number.NaN;
      const headers: Record<string, string> =
        status === 429 && !Number.isNaN(retryAt)
          ? { 'Retry-After': String(Math.max(1, Math.ceil((retryAt - Date.now()) / 1000))) }
          : {};
      throw new HttpProblem(
        code,
        {
          // A step may refuse several fields at once (progressive profiling's answers).
          errors: Array.isArray(detail?.errors)
            ? detail.errors
            : [{ path: path ?? '', code, message, ...detail }],
          view: next,
        },
        { title: message, headers },
      );
    }
    const opened = openedSessionOf(view.result);
    if (opened)
      await deps.sessions
        ?.describeDevice(opened, request.userAgent)
        .catch((error) => deps.onRecordFailed?.(error));
    return next;
  }

  /** Whether a journey (`registration`, `registration@1`) acts for a signed-in customer. */
  const actsForSession = (journey: string) => Boolean(definitionNamed(journey)?.start?.session);

  /** The JSON Schema of a journey's start body, as `list` publishes it; unknown, none. */
  const startSchema = (journey: string) => {
    const definition = definitionNamed(journey);
    return definition ? startSchemaOf(definition) : undefined;
  };

  return { list, start, read, submit, actsForSession, startSchema };
}
