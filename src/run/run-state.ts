import {
  type Snapshot as ActorSnapshot,
  type AnyStateMachine,
  createActor,
  type SnapshotFrom,
} from 'xstate';

type AnySnapshot = ActorSnapshot<unknown>;

import { type JourneyFailure, journeyFailure, type StepError } from '../errors/catalogue.js';
import type {
  JourneyDefinition,
  JourneyInput,
  StepDefinition,
} from '../journey-kit/define-journey.js';
import { DEFAULT_STEP_TIMEOUT_MS } from '../journey-kit/define-journey.js';
import { returnToFieldsOf } from '../journey-kit/start-fields.js';

export type { JourneyFailure, StepError } from '../errors/catalogue.js';

export type JourneyStatus = 'active' | 'completed' | 'failed' | 'abandoned' | 'expired';

/**
 * What the workflow knows of a run: its state. The step API makes the view apps see of it
 * (http/public-view.ts), adding ids, JSON Schemas and the token.
 */
export interface RunState {
  status: JourneyStatus;
  step?: { name: string; data: Record<string, unknown>; error?: StepError };
  result?: unknown;
  error?: JourneyFailure;
  /** On completion: where the app sends the customer next, from the start's `return_to`. */
  returnTo?: string;
}

export interface CurrentStep {
  path: string;
  definition: StepDefinition;
}

type Snapshot = SnapshotFrom<AnyStateMachine>;

/** The interactive step the machine waits in, if any. A journey waits in at most one. */
export function currentStep(
  definition: JourneyDefinition,
  snapshot: AnySnapshot,
): CurrentStep | undefined {
  const machineSnapshot = snapshot as Snapshot;
  if (machineSnapshot.status !== 'active') return undefined;
  for (const [path, stepDefinition] of Object.entries(definition.steps)) {
    if (machineSnapshot.matches(pathToStateValue(path) as never))
      return { path, definition: stepDefinition };
  }
  return undefined;
}

/**
 * A state tagged `finishing`: the journey's outcome is decided (in `context.result`) and the run
 * only finishes work its customer need not wait for, such as delivering a notice.
 */
export const FINISHING_TAG = 'finishing';

const isFinishing = (snapshot: AnySnapshot) =>
  snapshot.status === 'active' && (snapshot as Snapshot).hasTag(FINISHING_TAG);

/** A machine has settled when it waits for the customer, is finishing, or has stopped. */
export function isSettled(definition: JourneyDefinition, snapshot: AnySnapshot): boolean {
  return (
    snapshot.status !== 'active' ||
    currentStep(definition, snapshot) !== undefined ||
    isFinishing(snapshot)
  );
}

export function stepTimeoutMs(
  stepDefinition: StepDefinition,
  settings: { stepTimeoutMs?: number },
): number {
  return settings.stepTimeoutMs ?? stepDefinition.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
}

/**
 * How a step's wait ends: at its inactivity timeout, `abandoned`, unless the run's lifetime is out
 * first or at the same moment, `expired` (the lifetime caps the timeout: it costs no timer of its
 * own). What the workflow, the test kit and the step diagram all follow.
 */
export function stepWaitEnd(
  timeoutMs: number,
  lifetimeLeftMs: number,
): { status: 'abandoned' | 'expired'; afterMs: number } {
  return lifetimeLeftMs <= timeoutMs
    ? { status: 'expired', afterMs: lifetimeLeftMs }
    : { status: 'abandoned', afterMs: timeoutMs };
}

/** Builds the run state from a machine snapshot; `ended` overrides the status of a run stopped from outside. */
export function runStateOf(
  definition: JourneyDefinition,
  snapshot: AnySnapshot,
  ended?: { status: 'abandoned' | 'expired'; step?: string },
): RunState {
  const machineSnapshot = snapshot as Snapshot;
  if (ended) {
    return {
      status: ended.status,
      ...(ended.step ? { step: { name: ended.step, data: {} } } : {}),
    };
  }
  if (machineSnapshot.status === 'error') {
    return {
      status: 'failed',
      error: journeyFailure('journey_error'),
    };
  }
  if (machineSnapshot.status === 'done') {
    const output = (machineSnapshot.output ?? {}) as { error?: JourneyFailure };
    if (machineSnapshot.hasTag('failed') || output.error) {
      return {
        status: 'failed',
        error: output.error ?? journeyFailure('journey_failed'),
      };
    }
    return { status: 'completed', result: machineSnapshot.output };
  }
  if (isFinishing(snapshot))
    return {
      status: 'completed',
      result: (machineSnapshot.context as { result?: unknown }).result,
    };
  const step = currentStep(definition, snapshot);
  if (!step) return { status: 'active' };
  const context = machineSnapshot.context as { stepError?: StepError };
  return {
    status: 'active',
    step: {
      name: step.definition.name,
      data: step.definition.data?.(machineSnapshot.context) ?? {},
      ...(context.stepError ? { error: context.stepError } : {}),
    },
  };
}

/** `a.b.c` -> `{ a: { b: 'c' } }` for `snapshot.matches`. */
export function pathToStateValue(path: string): string | Record<string, unknown> {
  const keys = path.split('.');
  const leaf = keys.pop() as string;
  return keys.reduceRight<string | Record<string, unknown>>(
    (value, key) => ({ [key]: value }),
    leaf,
  );
}

/**
 * The first state of a run, computed without running it: the machine's initial state, when that is
 * a step the customer answers with nothing in flight (no activity, no timer can have moved it yet).
 * The workflow reaches the same state from the same input, so the step API can answer a start at
 * once and let the run begin in the background. Undefined when the run must work first.
 */
export function initialRunState(
  definition: JourneyDefinition,
  input: JourneyInput,
): RunState | undefined {
  // Created, not started: no entry action, invocation or delay runs.
  const snapshot = createActor(definition.machine, { input }).getSnapshot() as Snapshot;
  const waits = currentStep(definition, snapshot) && Object.keys(snapshot.children).length === 0;
  return waits ? runStateOf(definition, snapshot) : undefined;
}

/**
 * The state of a run with its start's return address, once completed: the allow-listed `return_to`
 * (start-fields.ts) the app sends the customer to next.
 */
export function withReturnTo(
  definition: JourneyDefinition,
  state: RunState,
  start: Record<string, unknown> | undefined,
): RunState {
  if (state.status !== 'completed' || !start || !definition.start?.input) return state;
  const [field] = returnToFieldsOf(definition.start.input);
  const returnTo = field ? start[field] : undefined;
  return typeof returnTo === 'string' ? { ...state, returnTo } : state;
}
