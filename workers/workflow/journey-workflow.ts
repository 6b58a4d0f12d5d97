import { ApplicationFailure } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import type { AnyActor, EventObject } from 'xstate';
import { createActor } from 'xstate';
import { journeyDefinitions } from '../../journeys/index.js';
import type { Activities } from '../../src/activities/index.js';
import { activityActors } from '../../src/engine/activity-actors.js';
import {
  type ActivityName,
  activityCatalog,
  activityNames,
} from '../../src/engine/activity-catalog.js';
import { journeyKey } from '../../src/engine/define-journey.js';
import { createJourneyEventLog } from '../../src/engine/journey-events.js';
import {
  type JourneyWorkflowArgs,
  journeySearchAttributes,
  rejectionCodes,
  settleUpdate,
  submitStepUpdate,
  viewQuery,
} from '../../src/engine/messages.js';
import { createRegistry } from '../../src/engine/registry.js';
import { createSubmissionGate } from '../../src/engine/submission.js';
import {
  currentStep,
  isSettled,
  type RunView,
  runView,
  stepTimeoutMs,
} from '../../src/engine/view.js';
import { createDurableClock } from './durable-clock.js';

const registry = createRegistry(journeyDefinitions, activityNames);

/** Each catalogued activity becomes a Temporal activity, local or queued, with its retry policy. */
function temporalActivityCall(name: string, input: unknown): Promise<unknown> {
  const spec = activityCatalog[name as ActivityName];
  const options = { startToCloseTimeout: spec.startToCloseTimeout, retry: spec.retry };
  const proxy =
    spec.mode === 'local'
      ? wf.proxyLocalActivities<Activities>(options)
      : wf.proxyActivities<Activities>(options);
  return (proxy[name as ActivityName] as (input: unknown) => Promise<unknown>)(input);
}

/**
 * Runs any registered journey: the XState machine is the logic, this workflow its durable memory.
 * Steps arrive as the `submit` update; each interactive step has an inactivity timeout after which
 * the run ends `abandoned` at that step.
 */
export async function journeyWorkflow(args: JourneyWorkflowArgs): Promise<RunView> {
  const definition = registry.get(args.journey, args.version);
  if (!definition)
    throw ApplicationFailure.nonRetryable(
      `Unknown journey ${journeyKey(args.journey, args.version)}`,
      'unknown_journey',
    );
  const journeyId = wf.workflowInfo().workflowId;
  const parsedSettings = definition.settings.safeParse(args.settings ?? {});
  if (!parsedSettings.success)
    throw ApplicationFailure.nonRetryable(
      `Invalid settings: ${parsedSettings.error.message}`,
      'invalid_settings',
    );

  const events = createJourneyEventLog(
    { journeyId, journey: definition.id, version: definition.version },
    Date.now,
  );
  const gate = createSubmissionGate(definition);

  let machineError: unknown;
  const actor: AnyActor = createActor(
    definition.machine.provide({ actors: activityActors(activityNames, temporalActivityCall) }),
    {
      input: { journeyId, settings: parsedSettings.data },
      clock: createDurableClock(wf.CancellationScope.current()),
    },
  );
  // Progress restarts the inactivity timer: an accepted submission or the machine moving to another
  // step (by name: a code expiring changes the state, not the step the customer is at).
  let progress = 0;
  let lastStep: string | undefined;
  actor.subscribe({
    next: (snapshot) => {
      const name = currentStep(definition, snapshot)?.definition.name;
      if (name && name !== lastStep) progress += 1;
      lastStep = name ?? lastStep;
    },
    error: (error) => {
      machineError = error;
    },
  });

  let finalView: RunView | undefined;
  const view = (): RunView => finalView ?? runView(definition, actor.getSnapshot());
  const settled = () => isSettled(definition, actor.getSnapshot());

  let reportedStep: string | undefined;
  let reportedStatus = 'active';
  /** Records what changed since the last sync: journey events and the listing's search attributes. */
  async function sync(current: RunView): Promise<void> {
    const stepName = current.step?.name;
    if (current.status === 'active' && stepName && stepName !== reportedStep)
      events.push('step_entered', stepName);
    const attributes = [];
    if (stepName !== reportedStep && stepName)
      attributes.push({ key: journeySearchAttributes.step, value: stepName });
    if (current.status !== reportedStatus)
      attributes.push({ key: journeySearchAttributes.status, value: current.status });
    if (attributes.length) wf.upsertSearchAttributes(attributes);
    reportedStep = stepName ?? reportedStep;
    reportedStatus = current.status;
    const pending = events.drain();
    if (pending.length) await temporalActivityCall('recordJourneyEvents', pending);
  }

  wf.setHandler(viewQuery, view);
  wf.setHandler(settleUpdate, async () => {
    await wf.condition(settled);
    const current = view();
    await sync(current);
    return current;
  });
  wf.setHandler(
    submitStepUpdate,
    async ({ step, input }) => {
      progress += 1;
      events.push('step_submitted', step);
      actor.send(gate.event(actor.getSnapshot(), step, input) as EventObject);
      await wf.condition(settled);
      const next = view();
      if (next.step?.name === step && next.step.error)
        events.push('step_rejected', step, { code: next.step.error.code });
      await sync(next);
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

  events.push('started');
  actor.start();

  let abandonedAt: string | undefined;
  for (;;) {
    await wf.condition(settled);
    const step = currentStep(definition, actor.getSnapshot());
    if (!step) break;
    // A timer may have moved the run to another step with no submission to report it.
    await sync(view());
    const mark = progress;
    const moved = await wf.condition(
      () => progress !== mark || actor.getSnapshot().status !== 'active',
      stepTimeoutMs(step.definition, args),
    );
    if (!moved) {
      abandonedAt = step.definition.name;
      break;
    }
  }

  finalView = abandonedAt
    ? runView(definition, actor.getSnapshot(), { status: 'abandoned', step: abandonedAt })
    : runView(definition, actor.getSnapshot());
  if (finalView.status === 'completed') events.push('completed');
  if (finalView.status === 'failed')
    events.push('failed', undefined, finalView.error ? { code: finalView.error.code } : undefined);
  if (finalView.status === 'abandoned') events.push('abandoned', abandonedAt);
  await sync(finalView);
  actor.stop();
  await wf.condition(wf.allHandlersFinished);

  if (machineError !== undefined) {
    const message =
      machineError instanceof Error ? machineError.message : JSON.stringify(machineError);
    throw ApplicationFailure.nonRetryable(
      `Journey ${journeyKey(definition.id, definition.version)} stopped on an error: ${message}`,
      'journey_machine_error',
    );
  }
  return finalView;
}
