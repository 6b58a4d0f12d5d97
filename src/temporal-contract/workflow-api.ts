import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { JourneyEventRecord } from '../analytics/journey-events.js';
import type { JourneyInput, SessionRef } from '../journey-kit/define-journey.js';
import type { RunState } from '../run/run-state.js';

/** Arguments of the generic journey workflow: which definition to run, with which settings. */
export interface JourneyWorkflowArgs {
  journey: string;
  version: number;
  /** Deployment settings (delays, policy versions), parsed by the journey's settings schema. */
  settings?: Record<string, unknown>;
  /** Overrides every step's inactivity timeout (tests and deployments with other needs). */
  stepTimeoutMs?: number;
  /** The start body, parsed by the journey's start schema (absent: `{}`). */
  start?: Record<string, unknown>;
  /** The session a session-started journey acts on: a reference, never its token. */
  session?: SessionRef;
  /** Who started the run (keyed hashes of the client's network), for per-requester limits. */
  requester?: string;
  /** The app that started the run (its `Parcours-Channel` header), carried by its journey events. */
  channel?: string;
  /** The run's lifetime (its journey token's): engine 3 ends a run waiting at a step past it `expired`. */
  lifetimeMs?: number;
  /**
   * The step API opened the run before Temporal started it (src/http/pending-runs.ts): when, at
   * which first step, and how many journey events it wrote then (`started`, `step_entered`). The
   * run counts its deadlines from then and numbers its events after those.
   */
  opened?: RunOpening;
}

/**
 * What the journey's machine is given, from the run's arguments and its parsed settings: the
 * workflow runs it with this, and the step API computes a run's first view from the same.
 */
export function machineInputOf(
  journeyId: string,
  args: JourneyWorkflowArgs,
  settings: Record<string, unknown>,
): JourneyInput {
  return {
    journeyId,
    settings,
    start: args.start ?? {},
    ...(args.session ? { session: args.session } : {}),
    ...(args.requester ? { requester: args.requester } : {}),
  };
}

/** A run opened by the step API at its first step, started by Temporal later. */
export interface RunOpening {
  /** When it opened (epoch ms). */
  at: number;
  step: string;
  /** Journey events written as it opened. */
  events: number;
}

/** A step submission whose secret fields are already sealed (hashed or by reference). */
export interface StepSubmission {
  step: string;
  input: unknown;
}

/**
 * What an update answers: the run's state and, while the run waits for its customer, the journey
 * events it has not written yet (they go with its next activity). The step API writes those before
 * it answers, so the funnel shows where each run waits at once; (journeyId, seq) keeps one of each.
 */
export type StepAnswer = RunState & { unrecorded?: JourneyEventRecord[] };

/** Submit the current step; answers the next view once the machine has settled. */
export const submitStepUpdate = defineUpdate<StepAnswer, [StepSubmission]>('submit');
/** Wait for the machine to settle and answer the view (used with Update-with-Start). */
export const settleUpdate = defineUpdate<StepAnswer, []>('settle');
/** The run's state. Its wire name stays `view`: API instances of a rolling deploy query by it. */
export const runStateQuery = defineQuery<RunState>('view');

/** A submission the step API refused before it reached the run: its step and error codes only. */
export interface RefusedSubmission {
  step: string;
  codes: string[];
}
/**
 * Tells the run of a submission refused as invalid input (a weak password, a malformed address),
 * so its journey events count it like a refusal the run made itself. It changes nothing else: no
 * state, no inactivity deadline (a rejected submission is no sign of life).
 */
export const refusedSubmissionSignal = defineSignal<[RefusedSubmission]>('refused');

export { rejectionCodes } from '../run/rejections.js';

/** Search attributes that make runs listable in the Temporal UI. Registered at start-up. */
export const journeySearchAttributes = {
  journey: defineSearchAttributeKey('ParcoursJourney', SearchAttributeType.KEYWORD),
  version: defineSearchAttributeKey('ParcoursVersion', SearchAttributeType.INT),
  step: defineSearchAttributeKey('ParcoursStep', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('ParcoursStatus', SearchAttributeType.KEYWORD),
};

/** The workflow type new runs start on (workers/workflow/journey-workflow.ts, over src/run/journey-run.ts). */
export const JOURNEY_WORKFLOW = 'journeyWorkflowV3';
