import { ApplicationFailure } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import { journeyModules } from '../../journeys/modules.js';
import { createJourneyEventLog } from '../../src/analytics/journey-events.js';
import { runFailure } from '../../src/errors/journey-error.js';
import { journeyKey } from '../../src/journey-kit/define-journey.js';
import { createJourneyRun } from '../../src/run/journey-run.js';
import type { RunState } from '../../src/run/run-state.js';
import {
  type JourneyWorkflowArgs,
  journeySearchAttributes,
  machineInputOf,
  refusedSubmissionSignal,
  runStateQuery,
  type StepAnswer,
  type StepSubmission,
  settleUpdate,
  submitStepUpdate,
} from '../../src/temporal-contract/workflow-api.js';
import { createActivityCaller } from './activity-caller.js';
import { createTimerWheel } from './timer-wheel.js';

export { journeyWorkflow, journeyWorkflowV2 } from './legacy/engines-1-and-2.js';

/**
 * Engine 3, what new runs start on: any registered journey, run by the one run loop
 * (src/run/journey-run.ts) over Temporal. The machine is the logic, this workflow its durable
 * memory: steps arrive as the `submit` update, the view is a query, refusals the step API made
 * arrive as a signal; every delay of the run sits behind one Temporal timer (timer-wheel.ts) and
 * journey events ride along with the run's next local activity (activity-caller.ts).
 */
export async function journeyWorkflowV3(args: JourneyWorkflowArgs): Promise<RunState> {
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

  // Trust boundary 1: a session reference is only for the run and journey the API signed it for.
  // The worker's activities check the signature itself (they hold the key; this sandbox does not)
  // and the run's id; here, the journey: a grant for step-up cannot drive mfa-enrolment. Behind a
  // patch, taken only by runs with a session: runs started before it replay as they ran.
  if (args.session && wf.patched('session-grant-bound')) {
    const grant = args.session.grant;
    if (grant?.run !== journeyId || grant.journey !== journeyKey(definition.id, definition.version))
      throw runFailure('session_required', 'The session was not granted to this run');
  }
  const events = createJourneyEventLog(
    {
      journeyId,
      journey: definition.id,
      version: definition.version,
      ...(args.channel ? { channel: args.channel } : {}),
    },
    Date.now,
    args.opened?.events,
  );
  const call = createActivityCaller(events);
  const root = wf.CancellationScope.current();

  // What the listing's search attributes show so far. A run the step API started from its initial
  // view is listed at its first step already (step-api.ts).
  let listedStep = wf.workflowInfo().typedSearchAttributes.get(journeySearchAttributes.step);
  let listedStatus = 'active';
  const run = createJourneyRun({
    definition,
    input: machineInputOf(journeyId, args, parsedSettings.data),
    clock: (onError) => createTimerWheel(root, onError),
    now: Date.now,
    callActivity: call,
    events,
    recordEvents: (pending) => call('recordJourneyEvents', pending),
    waitUntil: wf.condition,
    report(current) {
      const name = current.step?.name;
      const attributes = [];
      if (name && name !== listedStep)
        attributes.push({ key: journeySearchAttributes.step, value: name });
      if (current.status !== listedStatus)
        attributes.push({ key: journeySearchAttributes.status, value: current.status });
      if (attributes.length) wf.upsertSearchAttributes(attributes);
      listedStep = name ?? listedStep;
      listedStatus = current.status;
    },
    ...(args.stepTimeoutMs !== undefined ? { stepTimeoutMs: args.stepTimeoutMs } : {}),
    ...(args.lifetimeMs !== undefined ? { lifetimeMs: args.lifetimeMs } : {}),
    ...(args.opened ? { opened: { at: args.opened.at, step: args.opened.step } } : {}),
  });

  wf.setHandler(runStateQuery, run.state);
  // A submission can arrive with the run's first task (right after a start whose worker was slow,
  // or died): its handler runs before the machine has started, and must wait for it, or its event
  // is queued behind the start and the answer shows a run that has not moved yet. Behind a patch
  // taken only then, and with no await otherwise: histories recorded before it replay as they ran.
  // A run the step API opened always starts with its first submission: it needs no marker to say so.
  /** A promise to wait on when the handler came with the first task; undefined otherwise. */
  const untilStarted = (): Promise<void> | undefined =>
    run.started() || !(args.opened || wf.patched('submissions-wait-for-start'))
      ? undefined
      : wf.condition(run.started);
  /** A state answered to the step API, with the events it is to write now if the run waits. */
  const answer = (state: RunState): StepAnswer => {
    const unrecorded = events.peek();
    return state.status === 'active' && unrecorded.length
      ? { ...state, unrecorded: [...unrecorded] }
      : state;
  };
  /** Refuses a submission the run cannot take now, as a typed failure the step API maps. */
  const admit = ({ step, input }: StepSubmission): void => {
    const rejection = run.check(step, input);
    if (rejection)
      throw ApplicationFailure.create({
        type: rejection.code,
        message: rejection.message,
        nonRetryable: true,
      });
  };
  wf.setHandler(settleUpdate, async () => answer(await run.settle()));
  wf.setHandler(
    submitStepUpdate,
    async (submission) => {
      const firstTask = untilStarted();
      if (firstTask) {
        await firstTask;
        // It is ahead of the run's loop reporting the step it answers.
        await run.sync(run.state());
      }
      // Checked again as it enters: updates of one task all pass their validators before any
      // handler runs, so one sent earlier in the task (or while this one waited for the start)
      // may have moved the run on. Checked synchronously with the send: nothing comes between.
      admit(submission);
      return answer(await run.submit(submission.step, submission.input));
    },
    // Rejected here, an update leaves no trace in history.
    { validator: admit },
  );
  // No await unless it came with the first task: the app's next submission may be handled in the
  // same task, and would move the run on before a deferred check ran (the refusal then lost).
  wf.setHandler(refusedSubmissionSignal, async ({ step, codes }) => {
    const firstTask = untilStarted();
    if (firstTask) await firstTask;
    run.refused(step, codes);
  });

  const finalState = await run.run();
  await wf.condition(wf.allHandlersFinished);
  run.throwIfBroken();
  return finalState;
}
