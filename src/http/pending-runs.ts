import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { journeyWorkflowV3 } from '../../workers/workflow/journey-workflow.js';
import { journeyEventRows } from '../activities/analytics/analytics.js';
import type { JourneyEventRecord } from '../analytics/journey-events.js';
import type { PrismaClient } from '../db/prisma.js';
import type { Keyring } from '../security/keyring.js';
import { openJson, sealJson } from '../security/seal.js';
import {
  JOURNEY_WORKFLOW,
  type JourneyWorkflowArgs,
  journeySearchAttributes,
  type RefusedSubmission,
  type RunOpening,
  refusedSubmissionSignal,
  type StepAnswer,
  type StepSubmission,
  submitStepUpdate,
} from '../temporal-contract/workflow-api.js';
import { sendUpdate } from './update-retry.js';

/** Runs the sweep takes from the table at a time. */
const SWEEP_BATCH = 100;

/** How long a run may outlive its token, to finish work its customer does not wait for. */
export const FINISHING_MARGIN_MS = 15 * 60_000;

/** A run opened at its first step, with what Temporal needs to start it later. */
export interface PendingRun {
  id: string;
  args: JourneyWorkflowArgs & { opened: RunOpening; lifetimeMs: number };
}

/** The first submission came too late: the run was started and has ended meanwhile. */
export class PendingRunClosedError extends Error {
  override name = 'PendingRunClosedError';
}

type StartOptions = WorkflowStartOptions<typeof journeyWorkflowV3>;

export interface PendingRunsDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  temporal: { client: Client; taskQueue: string };
  now?: () => number;
  /** Runs this instance opened, kept in memory too (the oldest leave first; the table keeps all). */
  limit?: number;
  /** Hears of a row the sweep dropped because its arguments do not open (altered, or moved). */
  onRefused?: (id: string, error: unknown) => void;
  /** Hears of a started run whose row could not be removed (the sweep removes it later). */
  onLeftBehind?: (id: string, error: unknown) => void;
}

/**
 * How a journey's workflow is started: on the task queue, under the run's id, closed by `closeBy`
 * (epoch ms; at least a minute from `now`, to record its end), listed by journey, version, status
 * and, when known, the step it starts at. The step API's starts and the pending runs' share it.
 */
export function journeyStartOptions(
  taskQueue: string,
  id: string,
  args: JourneyWorkflowArgs,
  listing: { closeBy: number; now: number; step?: string },
): StartOptions {
  return {
    workflowId: id,
    taskQueue,
    args: [args],
    // Past its lifetime no one can drive the run; the margin lets it finish delivering.
    workflowExecutionTimeout: Math.max(60_000, listing.closeBy - listing.now),
    typedSearchAttributes: [
      { key: journeySearchAttributes.journey, value: args.journey },
      { key: journeySearchAttributes.version, value: args.version },
      { key: journeySearchAttributes.status, value: 'active' },
      ...(listing.step ? [{ key: journeySearchAttributes.step, value: listing.step }] : []),
    ],
  };
}

/**
 * Runs that wait for their customer before doing anything are opened here, not in Temporal: a
 * start is one database transaction (the sealed workflow arguments, and the run's `started` and
 * first `step_entered` journey events, so the funnel counts it at once), and the first submission
 * starts the workflow and enters the step in one call (Update-with-Start). A run never submitted
 * is started by the sweep once its first step's inactivity timeout has passed, and ends abandoned
 * there as any other run does: Temporal decides which comes first, a late submission or the sweep
 * (one workflow id, never reused), so each run is counted once.
 *
 * Trust boundary: the arguments are sealed with a key of their own and bound to the run's id, so a
 * row cannot be read, altered or moved to another run in the database.
 */
export function createPendingRuns(deps: PendingRunsDeps) {
  const { prisma, temporal } = deps;
  const keys = deps.keyring.derive('pending-runs');
  const now = deps.now ?? Date.now;
  const limit = deps.limit ?? 50_000;
  const { onRefused, onLeftBehind } = deps;
  /** Opened here and not yet started: most first submissions come back to the same instance. */
  const opened = new Map<string, PendingRun>();
  /** Started (or found started) here: no need to look for them in the table again. */
  const started = new Set<string>();

  /** Keeps the in-memory indexes bounded: the oldest entry leaves first. */
  const bound = (index: Map<string, unknown> | Set<string>) => {
    if (index.size > limit) index.delete(index.keys().next().value as string);
  };

  function startOptions(run: PendingRun): StartOptions {
    const { args } = run;
    return {
      ...journeyStartOptions(temporal.taskQueue, run.id, args, {
        closeBy: args.opened.at + args.lifetimeMs + FINISHING_MARGIN_MS,
        now: now(),
        // The run lists its first step from the start: it does not upsert it again.
        step: args.opened.step,
      }),
      // A run that ended is never started again under its id: a late submission finds it closed.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    };
  }

  /**
   * The run is in Temporal now (started here, by another instance, or by the sweep): its row goes,
   * in one transaction with the journey events its answer brought, if any.
   */
  async function forget(id: string, events: JourneyEventRecord[] = []): Promise<void> {
    opened.delete(id);
    started.add(id);
    bound(started);
    await prisma.$transaction([
      prisma.pendingRun.deleteMany({ where: { id } }),
      ...(events.length
        ? [prisma.journeyEvent.createMany({ data: journeyEventRows(events), skipDuplicates: true })]
        : []),
    ]);
  }

  /** Runs a call that starts the run, then forgets it unless the call may not have reached Temporal. */
  async function starting<T>(
    id: string,
    call: () => Promise<T>,
    eventsOf: (result: T) => JourneyEventRecord[] | undefined = () => undefined,
  ): Promise<T> {
    try {
      const result = await call();
      // The run has started: the answer stands whatever the table says. A row left behind is
      // taken by the sweep later (Temporal answers it started already); events, by the run.
      await forget(id, eventsOf(result)).catch((error) => onLeftBehind?.(id, error));
      return result;
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        await forget(id);
        throw new PendingRunClosedError(`Run ${id} has ended`);
      }
      // An update the run refused was still delivered to a started run.
      if ((error as Error).name === 'WorkflowUpdateFailedError') await forget(id);
      throw error;
    }
  }

  /**
   * The run, if it is still waiting for Temporal to start it: asked of the table, since another
   * instance may have started it (what to show must be true).
   */
  async function find(id: string): Promise<PendingRun | undefined> {
    if (started.has(id)) return undefined;
    const row = await prisma.pendingRun.findUnique({ where: { id } });
    if (!row) {
      opened.delete(id);
      return undefined;
    }
    return opened.get(id) ?? { id, args: openJson<PendingRun['args']>(keys, row.args, id) };
  }

  return {
    /** Opens a run: its sealed arguments and its opening journey events, in one transaction. */
    async open(run: PendingRun, sweepAt: number, events: JourneyEventRecord[]): Promise<void> {
      await prisma.$transaction([
        prisma.pendingRun.create({
          data: {
            id: run.id,
            args: sealJson(keys, run.args, run.id),
            openedAt: new Date(run.args.opened.at),
            sweepAt: new Date(sweepAt),
          },
        }),
        prisma.journeyEvent.createMany({ data: journeyEventRows(events), skipDuplicates: true }),
      ]);
      opened.set(run.id, run);
      bound(opened);
    },

    find,

    /**
     * The run, if it may still be waiting for Temporal, for a call that starts it: one this instance
     * opened is taken as is (started by another instance meanwhile, the call finds it running).
     */
    async toStart(id: string): Promise<PendingRun | undefined> {
      return opened.get(id) ?? find(id);
    },

    /**
     * Starts the run with its first submission, and answers the submission, the journey events it
     * brought already written (with the row's removal, in one transaction).
     */
    async submit(run: PendingRun, submission: StepSubmission): Promise<StepAnswer> {
      const { unrecorded: _, ...state } = await starting(
        run.id,
        () =>
          // Each attempt names the run it starts or finds (USE_EXISTING): sent again, it starts none.
          sendUpdate((updateId) =>
            temporal.client.workflow.executeUpdateWithStart(submitStepUpdate, {
              args: [submission],
              updateId,
              startWorkflowOperation: new WithStartWorkflowOperation<typeof journeyWorkflowV3>(
                JOURNEY_WORKFLOW,
                { ...startOptions(run), workflowIdConflictPolicy: 'USE_EXISTING' },
              ),
            }),
          ),
        (answer) => answer.unrecorded,
      );
      return state;
    },

    /** Starts the run to tell it of a submission refused before it reached it (its funnel counts it). */
    async refused(run: PendingRun, refusal: RefusedSubmission): Promise<void> {
      await starting(run.id, () =>
        temporal.client.workflow.signalWithStart<typeof journeyWorkflowV3, [RefusedSubmission]>(
          JOURNEY_WORKFLOW,
          { ...startOptions(run), signal: refusedSubmissionSignal, signalArgs: [refusal] },
        ),
      );
    },

    /**
     * Starts up to `batch` runs whose first step timed out unsubmitted: each ends abandoned there,
     * recorded by its own workflow. Answers how many it took from the table.
     */
    async sweep(batch = SWEEP_BATCH): Promise<number> {
      const due = await prisma.pendingRun.findMany({
        where: { sweepAt: { lte: new Date(now()) } },
        orderBy: { sweepAt: 'asc' },
        take: batch,
      });
      for (const row of due) {
        let args: PendingRun['args'];
        try {
          args = openJson<PendingRun['args']>(keys, row.args, row.id);
        } catch (error) {
          // Altered, or moved from another run: nothing to start. Reported, and dropped.
          await prisma.pendingRun.deleteMany({ where: { id: row.id } });
          onRefused?.(row.id, error);
          continue;
        }
        const run = { id: row.id, args };
        await starting(run.id, () =>
          temporal.client.workflow.start<typeof journeyWorkflowV3>(JOURNEY_WORKFLOW, {
            ...startOptions(run),
            workflowIdConflictPolicy: 'FAIL',
          }),
        ).catch((error: unknown) => {
          if (!(error instanceof PendingRunClosedError)) throw error;
        });
      }
      return due.length;
    },
  };
}

export type PendingRuns = ReturnType<typeof createPendingRuns>;

/**
 * Sweeps the runs never submitted, every `intervalMs` (and at once). Every API instance sweeps;
 * two starting the same run are told apart by Temporal, one start per workflow id.
 */
export function startPendingRunSweep(
  pendingRuns: PendingRuns,
  options: { intervalMs: number; onError: (error: unknown) => void },
): { stop(): Promise<void> } {
  let current: Promise<void> | undefined;
  const sweepAll = async () => {
    // A full batch: more are due, sweep again at once.
    let taken = await pendingRuns.sweep();
    while (taken === SWEEP_BATCH) taken = await pendingRuns.sweep();
  };
  const tick = () => {
    current ??= sweepAll()
      .catch(options.onError)
      .finally(() => {
        current = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
