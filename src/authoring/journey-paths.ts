import { getSimplePaths } from '@xstate/graph';
import type { AnyMachineSnapshot, AnyStateNode, EventObject } from 'xstate';
import type { ActivityName } from '../activities/catalog.js';
import { businessFailure, toJourneyError } from '../errors/journey-error.js';
import type { JourneyDefinition } from '../journey-kit/define-journey.js';
import { descendants, statePath } from '../journey-kit/state-nodes.js';
import { currentStep, pathToStateValue, runStateOf } from '../run/run-state.js';
import { delayMs } from './delays.js';
import { defaultActivityResults, type SimulatedOutcome } from './simulated-activities.js';
import { defaultSession, type SimulationScript } from './simulation.js';

/** What moves a run along a path, as the test kit would make it happen. */
export type PathMove =
  | { kind: 'submit'; step: string; input: Record<string, unknown> }
  | { kind: 'activity'; activity: string; outcome: SimulatedOutcome; byDefault?: true }
  | { kind: 'advance'; ms: number; timer: string };

export interface JourneyPath {
  /** The root final state the path ends in, and the run's status there. */
  final: string;
  status: string;
  moves: PathMove[];
}

export interface JourneyPaths {
  paths: JourneyPath[];
  /** Root final states no enumerated move reaches. */
  unreached: string[];
  /** Paths left out past the limit. */
  leftOut: number;
}

/** An activity that ran out of retries: every invoke's `onError` is tried with it. */
const TECHNICAL_FAILURE: SimulatedOutcome = { fails: 'the activity ran out of retries' };

const distinct = <T>(items: T[]) => [
  ...new Map(items.map((item) => [JSON.stringify(item), item])).values(),
];

/**
 * Every simple path from the start to each root final state, found by @xstate/graph over the moves
 * a run can make: the inputs the simulation submits at each step, each outcome it gives an activity
 * (else the default result) plus a technical failure, and every `after` timer. States are told
 * apart by state value only, so loops (a wrong code, a resend) are walked once: a path can still
 * need a context no move gives it (the resend limit), which `unreached` then shows.
 */
export function journeyPaths(
  definition: JourneyDefinition,
  script: SimulationScript,
  { limit = 200 } = {},
): JourneyPaths {
  const root = definition.machine.root as AnyStateNode;
  const nodes = descendants(root);
  const invokes = new Map(
    nodes.flatMap((node) => node.invoke.map((invoke) => [invoke.id, String(invoke.src)] as const)),
  );
  // The last input a simulation submits at a step first: usually the one that gets through.
  const inputsOf = (step: string) =>
    distinct(
      script.steps.flatMap((move) =>
        'submit' in move && move.submit === step ? [move.input] : [],
      ),
    ).reverse();
  const outcomesOf = (activity: string) =>
    distinct([...[script.activities[activity] ?? []].flat(), TECHNICAL_FAILURE]);
  const moveOf = new WeakMap<EventObject, PathMove>();
  const event = <E extends EventObject>(made: E, move: PathMove) => {
    moveOf.set(made, move);
    return made;
  };

  const events = (snapshot: AnyMachineSnapshot): EventObject[] => {
    if (snapshot.status !== 'active') return [];
    const found: EventObject[] = [];
    const step = currentStep(definition, snapshot);
    if (step)
      for (const input of inputsOf(step.definition.name)) {
        const parsed = step.definition.input.safeParse(input);
        if (parsed.success)
          found.push(
            event(
              { type: step.definition.name, input: parsed.data },
              { kind: 'submit', step: step.definition.name, input },
            ),
          );
      }
    for (const [id, child] of Object.entries(snapshot.children)) {
      const activity = invokes.get(id);
      if (!activity) continue;
      const given = outcomesOf(activity);
      const fallback = defaultActivityResults[activity as ActivityName] as
        | ((input: unknown) => unknown)
        | undefined;
      if (fallback && !given.some((outcome) => 'returns' in outcome)) {
        // The child was created, not started: its options still hold the input it would get.
        const input = (child as unknown as { options?: { input?: unknown } }).options?.input;
        const output = fallback(input ?? {});
        found.push(
          event(
            { type: `xstate.done.actor.${id}`, output },
            { kind: 'activity', activity, outcome: { returns: output }, byDefault: true },
          ),
        );
      }
      for (const outcome of given) {
        const made =
          'returns' in outcome
            ? { type: `xstate.done.actor.${id}`, output: outcome.returns }
            : { type: `xstate.error.actor.${id}`, error: errorOf(outcome) };
        found.push(event(made, { kind: 'activity', activity, outcome }));
      }
    }
    for (const node of nodes.filter((candidate) =>
      snapshot.matches(pathToStateValue(statePath(candidate)) as never),
    ))
      for (const after of node.after) {
        const ms = delayMs(definition, after.delay, snapshot.context);
        found.push(
          event(
            { type: after.eventType },
            { kind: 'advance', ms, timer: `${statePath(node)} after ${String(after.delay)}` },
          ),
        );
      }
    return found;
  };

  const simple = getSimplePaths(definition.machine, {
    events,
    serializeState: (snapshot) => JSON.stringify([snapshot.status, snapshot.value]),
    toState: (snapshot) => snapshot.status === 'done',
    input: {
      journeyId: 'journey-paths',
      settings: definition.settings.parse(script.settings),
      start: definition.start?.input?.parse(script.start) ?? {},
      ...(definition.start?.session ? { session: script.session ?? defaultSession } : {}),
      ...(script.requester ? { requester: script.requester } : {}),
    },
  });
  // Two inputs at a step that lead the same way make one path, not two.
  const shapes = new Set<string>();
  const paths = simple
    .filter((path) => {
      const shape = JSON.stringify(
        path.steps.map((step) => [step.state.value, step.event.type.split('.').slice(0, 3)]),
      );
      return !shapes.has(shape) && shapes.add(shape);
    })
    .map((path) => ({
      final: String(path.state.value),
      status: runStateOf(definition, path.state).status,
      moves: path.steps.slice(1).map((step) => moveOf.get(step.event) as PathMove),
    }));
  paths.sort((a, b) => a.final.localeCompare(b.final) || a.moves.length - b.moves.length);
  const finals = Object.values(root.states)
    .filter((node) => (node as AnyStateNode).type === 'final')
    .map((node) => (node as AnyStateNode).key);
  return {
    paths: paths.slice(0, limit),
    unreached: finals.filter((final) => !paths.some((path) => path.final === final)),
    leftOut: Math.max(0, paths.length - limit),
  };
}

function errorOf(outcome: Exclude<SimulatedOutcome, { returns: unknown }>) {
  if ('fails' in outcome) return toJourneyError(new Error(outcome.fails));
  const { code, detail, message } = outcome.throws;
  return toJourneyError(businessFailure(code as never, detail, message));
}
