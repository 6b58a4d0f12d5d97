import { ApplicationFailure } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import type { AnyActor, EventObject } from 'xstate';
import { createActor } from 'xstate';
import { journeyModules } from '../../../journeys/modules.js';
import { activityNames } from '../../../src/activities/catalog.js';
import { createJourneyEventLog } from '../../../src/analytics/journey-events.js';
import { runFailure } from '../../../src/errors/journey-error.js';
import { activityActors } from '../../../src/journey-kit/activity.js';
import { journeyKey } from '../../../src/journey-kit/define-journey.js';
import {
  currentStep,
  isSettled,
  type RunState,
  runStateOf,
  stepTimeoutMs,
  withReturnTo,
} from '../../../src/run/run-state.js';
import { createSubmissionGate } from '../../../src/run/submission-gate.js';
import {
  type JourneyWorkflowArgs,
  journeySearchAttributes,
  refusedSubmissionSignal,
  rejectionCodes,
  runStateQuery,
  settleUpdate,
  submitStepUpdate,
} from '../../../src/temporal-contract/workflow-api.js';
import { createActivityCaller } from '../activity-caller.js';
import { createTimerWheel } from '../timer-wheel.js';
import { createDurableClock } from './durable-clock.js';

/*
 * Frozen: engines 1 and 2, kept only for runs started on them before engine 3
 * (workers/workflow/journey-workflow.ts) and replayed by test/integration/replay.test.ts. Nothing
 * here changes but a fix every open run needs; remove each once no run of its type is open.
 */

/**
 * Engine 2, for runs started before engine 3: any submission restarts the inactivity timeout, and
 * the lifetime is only the execution timeout. Its command sequence must not change
 * (test/fixtures/histories); remove it once no `journeyWorkflowV2` run is open.
 *
 * Engine 2 keeps all of a run's delays behind one Temporal timer (timer-wheel.ts) and hands journey
 * events to the run's next activity (activity-caller.ts): a registration writes 38 history events
 * instead of 49 (docs/performance-history.md). A new workflow type rather than `patched()`, which would itself add a marker and a
 * search-attribute upsert to every run.
 */
export function journeyWorkflowV2(args: JourneyWorkflowArgs): Promise<RunState> {
  return runJourney(args, 2);
}

/**
 * Engine 1, for runs started before engine 2: a Temporal timer per delay and per step timeout,
 * journey events written by an activity of their own after each step. Its command sequence must not
 * change (test/fixtures/histories); remove it once no `journeyWorkflow` run is open.
 */
export function journeyWorkflow(args: JourneyWorkflowArgs): Promise<RunState> {
  return runJourney(args, 1);
}

/** Error codes kept from one refused submission (one per field in error, in practice). */
const MAX_REFUSAL_CODES = 8;

async function runJourney(args: JourneyWorkflowArgs, engine: 1 | 2): Promise<RunState> {
  // The worker and the API checked every journey before serving; a run loads only its own.
  const load = journeyModules[journeyKey(args.journey, args.version)];
  const definition = load && (await load());
  if (!definition)
    throw runFailure(
      'unknown_journey',
      `Unknown journey ${journeyKey(args.journey, args.version)}`,
    );
  const journeyId = wf.workflowInfo().workflowId;
  const parsedSettings = definition.settings.safeParse(args.settings ?? {});
  if (!parsedSettings.success)
    throw runFailure('invalid_settings', `Invalid settings: ${parsedSettings.error.message}`);

  const v2 = engine >= 2;
  const events = createJourneyEventLog(
    {
      journeyId,
      journey: definition.id,
      version: definition.version,
      ...(args.channel ? { channel: args.channel } : {}),
    },
    Date.now,
  );
  const call = createActivityCaller(v2 ? events : undefined);
  const gate = createSubmissionGate(definition);
  const root = wf.CancellationScope.current();
  let machineError: unknown;
  const wheel = v2
    ? createTimerWheel(root, (error) => {
        machineError ??= error;
      })
    : undefined;

  const actor: AnyActor = createActor(
    definition.machine.provide({ actors: activityActors(activityNames, call) }),
    {
      input: {
        journeyId,
        settings: parsedSettings.data,
        start: args.start ?? {},
        ...(args.session ? { session: args.session } : {}),
        ...(args.requester ? { requester: args.requester } : {}),
      },
      clock: wheel ?? createDurableClock(root),
    },
  );

  let finalView: RunState | undefined;
  let abandonedAt: string | undefined;
  const view = (): RunState =>
    finalView ?? withReturnTo(definition, runStateOf(definition, actor.getSnapshot()), args.start);
  const settled = () => isSettled(definition, actor.getSnapshot());
  const stepName = () => currentStep(definition, actor.getSnapshot())?.definition.name;

  // The inactivity timeout: restarted by an accepted submission and by the machine moving to
  // another step (by name: a code expiring changes the state, not the step the customer is at).
  // Engine 1 counts progress for its loop below; engine 2 keeps the timeout on the wheel and pauses
  // it while any submission is worked on.
  let progress = 0;
  let inactivity: number | undefined;
  const pauseInactivity = () => {
    progress += 1;
    wheel?.clearTimeout(inactivity);
    inactivity = undefined;
  };
  const restartInactivity = () => {
    pauseInactivity();
    const step = currentStep(definition, actor.getSnapshot());
    if (!wheel || !step) return;
    const name = step.definition.name;
    const timeout = stepTimeoutMs(step.definition, args);
    inactivity = wheel.setTimeout(() => {
      abandonedAt = name;
    }, timeout);
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

  // What the events and the listing's search attributes show so far. A run the step API started
  // from its initial view is listed at its first step already (step-api.ts).
  let reportedStep: string | undefined;
  let listedStep = wf.workflowInfo().typedSearchAttributes.get(journeySearchAttributes.step);
  let reportedStatus = 'active';
  /** Records what changed since the last sync: journey events and the listing's search attributes. */
  async function sync(current: RunState): Promise<void> {
    const name = current.step?.name;
    if (current.status === 'active' && name && name !== reportedStep)
      events.push('step_entered', name);
    const attributes = [];
    if (name && name !== listedStep)
      attributes.push({ key: journeySearchAttributes.step, value: name });
    if (current.status !== reportedStatus)
      attributes.push({ key: journeySearchAttributes.status, value: current.status });
    if (attributes.length) wf.upsertSearchAttributes(attributes);
    reportedStep = name ?? reportedStep;
    listedStep = name ?? listedStep;
    reportedStatus = current.status;
    // Engine 2 hands pending events to the run's next activity; engine 1 writes them now.
    if (!v2) await flushEvents();
  }
  async function flushEvents(): Promise<void> {
    const pending = events.drain();
    if (pending.length) await call('recordJourneyEvents', pending);
  }

  wf.setHandler(runStateQuery, view);
  // A submission can arrive with the run's first task (right after a start whose worker was slow,
  // or died): its handler runs before the machine has started, and must wait for it, or its event
  // is queued behind the start and the answer shows a run that has not moved yet. Behind a patch
  // taken only then, and with no await otherwise: histories recorded before it replay as they ran.
  let machineStarted = false;
  /** A promise to wait on when the handler came with the first task; undefined otherwise. */
  const untilStarted = (): Promise<void> | undefined =>
    machineStarted || !wf.patched('submissions-wait-for-start')
      ? undefined
      : wf.condition(() => machineStarted);
  wf.setHandler(settleUpdate, async () => {
    await wf.condition(settled);
    const current = view();
    await sync(current);
    return current;
  });
  let submitting = 0;
  wf.setHandler(
    submitStepUpdate,
    async ({ step, input }) => {
      const firstTask = untilStarted();
      if (firstTask) {
        await firstTask;
        // It is ahead of the loop below reporting the step it answers.
        await sync(view());
      }
      submitting += 1;
      pauseInactivity();
      events.push('step_submitted', step);
      actor.send(gate.event(actor.getSnapshot(), step, input) as EventObject);
      await wf.condition(settled);
      const next = view();
      const rejected = next.step?.name === step && next.step.error !== undefined;
      if (v2) restartInactivity();
      if (rejected && next.step?.error)
        events.push('step_rejected', step, { code: next.step.error.code });
      await sync(next);
      submitting -= 1;
      return next;
    },
    {
      // Rejected here, an update leaves no trace in history.
      validator: ({ step, input }) => {
        const rejection = finalView
          ? { code: rejectionCodes.journeyClosed, message: 'The journey has ended' }
          : gate.check(actor.getSnapshot(), step, input);
        if (rejection)
          throw ApplicationFailure.create({
            type: rejection.code,
            message: rejection.message,
            nonRetryable: true,
          });
      },
    },
  );

  // Only for the step the run is at, and only a few codes each: the signal comes from the step
  // API, but nothing sent to a run may grow its events without bound.
  // No await unless it came with the first task: the app's next submission may be handled in the
  // same task, and would move the run on before a deferred check ran (the refusal then lost).
  wf.setHandler(refusedSubmissionSignal, async ({ step, codes }) => {
    const firstTask = untilStarted();
    if (firstTask) await firstTask;
    if (finalView || step !== stepName()) return;
    events.push('step_submitted', step);
    for (const code of new Set(codes.slice(0, MAX_REFUSAL_CODES)))
      events.push('step_rejected', step, { code });
  });

  events.push('started');
  actor.start();
  machineStarted = true;

  const running = () => actor.getSnapshot().status === 'active';
  if (v2) {
    for (;;) {
      // Wakes for the end of the run, or for a step a timer moved the run to (no submission
      // reports that one). A finishing run has no step: it wakes when it ends.
      await wf.condition(() => {
        const name = stepName();
        return (
          abandonedAt !== undefined ||
          !running() ||
          machineError !== undefined ||
          (submitting === 0 && settled() && name !== undefined && name !== reportedStep)
        );
      });
      if (abandonedAt !== undefined || !running() || machineError !== undefined) break;
      await sync(view());
    }
  } else {
    for (;;) {
      await wf.condition(settled);
      const step = currentStep(definition, actor.getSnapshot());
      if (!step) break;
      await sync(view());
      const mark = progress;
      const moved = await wf.condition(
        () => progress !== mark || !running(),
        stepTimeoutMs(step.definition, args),
      );
      if (!moved) {
        abandonedAt = step.definition.name;
        break;
      }
    }
  }

  finalView = abandonedAt
    ? runStateOf(definition, actor.getSnapshot(), { status: 'abandoned', step: abandonedAt })
    : withReturnTo(definition, runStateOf(definition, actor.getSnapshot()), args.start);
  if (finalView.status === 'completed') events.push('completed');
  if (finalView.status === 'failed')
    events.push('failed', undefined, finalView.error ? { code: finalView.error.code } : undefined);
  if (finalView.status === 'abandoned') events.push('abandoned', abandonedAt);
  await sync(finalView);
  if (v2) await flushEvents();
  actor.stop();
  await wf.condition(wf.allHandlersFinished);

  if (machineError !== undefined) {
    const message =
      machineError instanceof Error ? machineError.message : JSON.stringify(machineError);
    throw runFailure(
      'journey_machine_error',
      `Journey ${journeyKey(definition.id, definition.version)} stopped on an error: ${message}`,
    );
  }
  return finalView;
}
