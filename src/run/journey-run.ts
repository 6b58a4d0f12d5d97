import type { ActorOptions, AnyActor, AnyStateMachine, EventObject } from 'xstate';
import { createActor } from 'xstate';
import { activityNames } from '../activities/catalog.js';
import type { JourneyEventLog, JourneyEventRecord } from '../analytics/journey-events.js';
import { runFailure } from '../errors/journey-error.js';
import { activityActors } from '../journey-kit/activity.js';
import {
  type JourneyDefinition,
  type JourneyInput,
  journeyKey,
} from '../journey-kit/define-journey.js';
import { rejectionCodes } from './rejections.js';
import {
  currentStep,
  isSettled,
  type RunState,
  runStateOf,
  stepTimeoutMs,
  stepWaitEnd,
  withReturnTo,
} from './run-state.js';
import { createSubmissionGate, type Rejection } from './submission-gate.js';

/** XState's clock (its `Clock` type is not exported). */
type Clock = NonNullable<ActorOptions<AnyStateMachine>['clock']>;

export interface JourneyRunOptions {
  definition: JourneyDefinition;
  /** The machine's input: settings already parsed by the journey's schema. */
  input: JourneyInput;
  /**
   * XState's clock, which the inactivity timeout shares (every delay on one clock), given a way
   * to fail the run when a timer's callback throws.
   */
  clock: (onError: (error: unknown) => void) => Clock;
  now: () => number;
  /** Runs one catalogued activity: a Temporal activity in the workflow, a fake in the test kit. */
  callActivity: (name: string, input: unknown) => Promise<unknown>;
  /** Where the run's journey events gather (the workflow's activities carry them off as they go). */
  events: JourneyEventLog;
  /** Writes what is left of the journey events when the run ends. */
  recordEvents: (events: JourneyEventRecord[]) => Promise<unknown>;
  /**
   * Waits until a condition over the run holds: Temporal's `condition` in the workflow, a check on
   * every change in the test kit. The run never waits on anything else.
   */
  waitUntil: (ready: () => boolean) => Promise<unknown>;
  /** Shows what the run reports (the workflow's search attributes); called after journey events. */
  report?: (state: RunState) => void;
  /** Overrides every step's inactivity timeout. */
  stepTimeoutMs?: number;
  /** The run's lifetime: a run still waiting at a step then ends `expired`. None: no end. */
  lifetimeMs?: number;
  /**
   * The run was opened earlier, at its first step, by someone who recorded its opening (the step
   * API): its deadlines count from then, and it does not record `started` or that step again.
   */
  opened?: { at: number; step: string };
}

/** Error codes kept from one refused submission (one per field in error, in practice). */
const MAX_REFUSAL_CODES = 8;

/**
 * One run of a journey: the XState machine, gated, settled and timed. It counts only accepted
 * submissions as activity: a rejected one (a wrong code, a weak password) does not push the
 * inactivity deadline back, so a client that keeps sending bad input cannot hold a run open; and
 * it ends a run at its lifetime itself, so the run's end is recorded (`expired`).
 *
 * The one loop of the product: the Temporal workflow (engine 3, workers/workflow) runs it over
 * Temporal timers and activities, the test kit over XState's simulated clock and fakes. What the
 * workflow commands is decided here, so a change here changes the command sequence of new runs:
 * ship it behind `patched()` or as a new workflow type (test/integration/replay.test.ts).
 */
export function createJourneyRun(options: JourneyRunOptions) {
  const { definition, input, events, waitUntil, now } = options;
  const gate = createSubmissionGate(definition);
  let machineError: unknown;
  const clock = options.clock((error) => {
    machineError ??= error;
  });
  const actor: AnyActor = createActor(
    definition.machine.provide({ actors: activityActors(activityNames, options.callActivity) }),
    { input, clock },
  );

  let finalState: RunState | undefined;
  const state = (): RunState =>
    finalState ??
    withReturnTo(definition, runStateOf(definition, actor.getSnapshot()), input.start);
  const settled = () => isSettled(definition, actor.getSnapshot());
  const stepName = () => currentStep(definition, actor.getSnapshot())?.definition.name;
  const running = () => actor.getSnapshot().status === 'active';

  // The inactivity timeout: restarted by an accepted submission and by the machine moving to
  // another step (by name: a code expiring changes the state, not the step the customer is at).
  // It is never paused: a deadline that falls during a submission waits for it to settle (`due`),
  // and only an accepted one restarts it. It is capped at the run's lifetime, so the lifetime costs
  // no timer of its own: a run ends `expired` only where it waits for its customer, and one
  // finishing its work after its lifetime may finish.
  let inactivity: unknown;
  let due: { status: 'abandoned' | 'expired'; step: string; at: number } | undefined;
  const openedAt = options.opened?.at ?? now();
  const lifetimeEnd =
    options.lifetimeMs !== undefined ? openedAt + options.lifetimeMs : Number.POSITIVE_INFINITY;
  /** An opened run's first step has waited since its opening; every later wait starts afresh. */
  let firstWaitSince = options.opened?.at;
  const restartInactivity = () => {
    clock.clearTimeout(inactivity);
    inactivity = undefined;
    due = undefined;
    const step = currentStep(definition, actor.getSnapshot());
    if (!step) return;
    const name = step.definition.name;
    const timeout = stepTimeoutMs(step.definition, options);
    const since = firstWaitSince ?? now();
    firstWaitSince = undefined;
    const end = stepWaitEnd(timeout - (now() - since), lifetimeEnd - now());
    const at = end.status === 'expired' ? lifetimeEnd : since + timeout;
    inactivity = clock.setTimeout(() => {
      due = { status: end.status, step: name, at };
    }, end.afterMs);
  };
  let lastStep: string | undefined;
  actor.subscribe({
    next: () => {
      const name = stepName();
      if (name && name !== lastStep) restartInactivity();
      lastStep = name ?? lastStep;
    },
    error: (error) => {
      machineError = error;
    },
  });

  let reportedStep: string | undefined = options.opened?.step;
  /** Records what changed since the last report: the step entered, then the adapter's listing. */
  async function sync(current: RunState): Promise<void> {
    const name = current.step?.name;
    if (current.status === 'active' && name && name !== reportedStep)
      events.push('step_entered', name);
    options.report?.(current);
    reportedStep = name ?? reportedStep;
  }

  let started = false;
  let submitting = 0;
  /** How the run ends, once a deadline fell due and no submission is being worked on. */
  const dueEnd = () => (submitting > 0 ? undefined : due);

  return {
    actor,
    state,
    settled,
    /** The machine has started: a submission may enter it. */
    started: () => started,
    closed: () => finalState !== undefined,
    sync,

    /** Why a sealed submission may not enter the machine, if it may not. Records nothing. */
    check(step: string, stepInput: unknown): Rejection | undefined {
      return finalState
        ? { code: rejectionCodes.journeyClosed, message: 'The journey has ended' }
        : gate.check(actor.getSnapshot(), step, stepInput);
    },

    /** Enters a checked submission and answers its state once the machine has settled. */
    async submit(step: string, stepInput: unknown): Promise<RunState> {
      submitting += 1;
      events.push('step_submitted', step);
      actor.send(gate.event(actor.getSnapshot(), step, stepInput) as EventObject);
      await waitUntil(settled);
      const next = state();
      const rejected = next.step?.name === step && next.step.error !== undefined;
      // A rejected submission is no sign of life (a step change restarted the timeout already).
      if (!rejected) restartInactivity();
      if (rejected && next.step?.error)
        events.push('step_rejected', step, { code: next.step.error.code });
      await sync(next);
      submitting -= 1;
      return next;
    },

    /** Waits for the machine to settle and reports where it is. */
    async settle(): Promise<RunState> {
      await waitUntil(settled);
      const current = state();
      await sync(current);
      return current;
    },

    /**
     * Counts a submission refused before it reached the run, at the step the run is at only, and
     * a few codes each: nothing sent to a run may grow its events without bound.
     */
    refused(step: string, codes: string[]): void {
      if (finalState || step !== stepName()) return;
      events.push('step_submitted', step);
      for (const code of new Set(codes.slice(0, MAX_REFUSAL_CODES)))
        events.push('step_rejected', step, { code });
    },

    /** Starts the machine and runs it to its end: completed, failed, abandoned or expired. */
    async run(): Promise<RunState> {
      if (!options.opened) events.push('started');
      actor.start();
      started = true;
      let end: typeof due;
      for (;;) {
        // Wakes for the end of the run, or for a step a timer moved the run to (no submission
        // reports that one). A finishing run has no step: it wakes when it ends.
        await waitUntil(() => {
          const name = stepName();
          return (
            dueEnd() !== undefined ||
            !running() ||
            machineError !== undefined ||
            (submitting === 0 && settled() && name !== undefined && name !== reportedStep)
          );
        });
        end = dueEnd();
        if (end || !running() || machineError !== undefined) break;
        await sync(state());
      }
      finalState = end
        ? runStateOf(definition, actor.getSnapshot(), end)
        : withReturnTo(definition, runStateOf(definition, actor.getSnapshot()), input.start);
      if (finalState.status === 'completed') events.push('completed');
      if (finalState.status === 'failed')
        events.push(
          'failed',
          undefined,
          finalState.error ? { code: finalState.error.code } : undefined,
        );
      // At its deadline: a run started late (by the sweep of runs never submitted) learns of it late.
      if (end) events.push(end.status, end.step, undefined, end.at);
      await sync(finalState);
      const pending = events.drain();
      if (pending.length) await options.recordEvents(pending);
      actor.stop();
      return finalState;
    },

    /** After the run: a machine that stopped on an error fails it, as a typed run failure. */
    throwIfBroken(): void {
      if (machineError === undefined) return;
      const message =
        machineError instanceof Error ? machineError.message : JSON.stringify(machineError);
      throw runFailure(
        'journey_machine_error',
        `Journey ${journeyKey(definition.id, definition.version)} stopped on an error: ${message}`,
      );
    },
  };
}
