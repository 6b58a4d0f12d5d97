import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { createMessageRenderer } from '../../src/channels/render.js';

/**
 * Runs an activity as Temporal would for one call of one run: the run is the workflow id (what
 * `ownRun` and the proofs check), and a retry keeps the same ids (what idempotency keys are made of).
 */
export const asCall = (journeyId: string, activityId: string) => {
  const environment = new MockActivityEnvironment({
    activityId,
    workflowExecution: { workflowId: journeyId, runId: 'run' },
  } as never);
  return {
    run: <I, O>(activity: (input: I) => Promise<O>, input: I) =>
      environment.run(activity, input) as Promise<O>,
  };
};

/** What activity tests build activities with, beside their database, keys and vault. */
export const testActivityDefaults = {
  renderMessage: createMessageRenderer().render,
  productName: 'Parcours',
  sessionTtlMs: 3_600_000,
  codesPerRecipientPerHour: 10,
  codesPerRequesterPerHour: 5,
} satisfies Partial<ActivityDeps>;
