import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import {
  DEFAULT_JOURNEY_LIFETIME_MS,
  type JourneyDefinition,
} from '../journey-kit/define-journey.js';
import { statePath } from '../journey-kit/state-nodes.js';
import { FINISHING_TAG, stepTimeoutMs, stepWaitEnd } from '../run/run-state.js';
import { delayMs } from './delays.js';

/** Where a run can be, as a product team sees it: waiting at a step, or ended. */
export type StepGraphNode =
  | { kind: 'start' }
  | { kind: 'step'; name: string }
  | { kind: 'outcome'; outcome: 'completed' | 'failed' | 'abandoned' | 'expired' };

export interface StepGraphEdge {
  from: StepGraphNode;
  to: StepGraphNode;
  /** The timers on the way (`after 10 min`), or the timeout that ends the run. */
  label?: string;
  /** A run-level timeout rather than something the journey does. */
  timeout?: boolean;
}

export interface StepGraph {
  steps: Array<{ name: string; fragment?: string }>;
  edges: StepGraphEdge[];
}

/** `90000` → `1.5 min`; product teams read durations, not milliseconds. */
export function durationText(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  for (const [size, unit] of units)
    if (ms >= size) {
      const amount = Number((ms / size).toFixed(1));
      return unit === 'day' ? `${amount} day${amount === 1 ? '' : 's'}` : `${amount} ${unit}`;
    }
  return `${ms} ms`;
}

/**
 * The journey as a product team reads it, derived from the machine: its steps, how each leads to
 * the next step or to an outcome, and the timers on the way. Internal states (activities, checks,
 * fragment plumbing) are walked through, never shown. A step's own event and the timers, activity
 * outcomes and `always` routes of the states passed lead on; events raised by actions are followed
 * to where they are handled.
 */
export function stepGraph(definition: JourneyDefinition): StepGraph {
  const root = definition.machine.root as AnyStateNode;
  const stepAt = new Map(Object.entries(definition.steps).map(([path, step]) => [path, step.name]));
  const settings = safely(() => definition.settings.parse({}), {});
  const edges = new Map<string, StepGraphEdge>();
  const keyOf = (node: StepGraphNode) =>
    node.kind === 'step' ? `step:${node.name}` : node.kind === 'outcome' ? node.outcome : 'start';
  const addEdge = (edge: StepGraphEdge) =>
    edges.set(`${keyOf(edge.from)}>${keyOf(edge.to)}>${edge.label ?? ''}`, edge);

  /** What a run that just entered `leaf` shows: a step, an outcome, or nothing yet (internal). */
  const shownAt = (leaf: AnyStateNode): StepGraphNode | undefined => {
    const step = stepAt.get(statePath(leaf));
    if (step) return { kind: 'step', name: step };
    if ([leaf, ...ancestorsOf(leaf)].some((node) => node.tags.includes(FINISHING_TAG)))
      return { kind: 'outcome', outcome: 'completed' };
    if (leaf.type === 'final' && leaf.parent === root)
      return { kind: 'outcome', outcome: leaf.tags.includes('failed') ? 'failed' : 'completed' };
    return undefined;
  };

  const timerText = (node: AnyStateNode, transition: AnyTransitionDefinition) => {
    const after = node.after.find((delayed) => delayed.eventType === transition.eventType);
    if (!after) return undefined;
    const ms = safely(() => delayMs(definition, after.delay, { settings }), undefined);
    return ms === undefined ? `after ${String(after.delay)}` : `after ${durationText(ms)}`;
  };

  /** Transitions that can fire in `leaf`: its own and its ancestors', as the filter allows. */
  const transitionsIn = (leaf: AnyStateNode, stepEvent: string | undefined) =>
    [leaf, ...ancestorsOf(leaf)].flatMap((node) =>
      [...node.transitions.values()]
        .flat()
        .concat(node.always ?? [])
        .filter((transition) => {
          const event = String(transition.eventType);
          if (event === '' || timerText(node, transition)) return true;
          if (event.startsWith('xstate.done.actor.') || event.startsWith('xstate.error.actor.'))
            return true;
          return event === stepEvent;
        })
        .map((transition) => ({ node, transition })),
    );

  /** Where a transition leads: the leaves it enters, or the handlers of the events it raises. */
  const follow = (
    from: StepGraphNode,
    leaf: AnyStateNode,
    transition: AnyTransitionDefinition,
    labels: string[],
    seen: Set<AnyStateNode>,
  ): void => {
    if (transition.target?.length) {
      const entered = transition.target.flatMap(leavesEntered);
      // Entering a parallel state: the run waits at the step one region shows; the other regions'
      // timers are seen from that step.
      const shown = entered.filter((candidate) => shownAt(candidate));
      for (const next of shown.length ? shown : entered) walk(from, next, labels, seen);
      return;
    }
    for (const raised of raisedEvents(definition, transition))
      for (const node of [leaf, ...ancestorsOf(leaf)])
        for (const handler of node.transitions.get(raised) ?? [])
          follow(from, leaf, handler, labels, seen);
  };

  const walk = (
    from: StepGraphNode,
    leaf: AnyStateNode,
    labels: string[],
    seen: Set<AnyStateNode>,
  ): void => {
    const shown = shownAt(leaf);
    if (shown) {
      addEdge({ from, to: shown, ...(labels.length ? { label: labels.join(', ') } : {}) });
      return;
    }
    if (seen.has(leaf)) return;
    seen.add(leaf);
    // A fragment's final state ends its parent: the journey's onDone for it takes over.
    if (leaf.type === 'final' && leaf.parent) {
      const onDone = leaf.parent.transitions.get(`xstate.done.state.${leaf.parent.id}`) ?? [];
      for (const transition of takenOnDone(definition, leaf, onDone))
        follow(from, leaf.parent, transition, labels, seen);
    }
    for (const { node, transition } of transitionsIn(leaf, undefined)) {
      const timer = timerText(node, transition);
      follow(from, leaf, transition, timer ? [...labels, timer] : labels, seen);
    }
  };

  for (const leaf of leavesEntered(root)) walk({ kind: 'start' }, leaf, [], new Set());
  for (const [path, name] of stepAt) {
    const leaf = nodeAt(root, path);
    if (!leaf) continue;
    const from: StepGraphNode = { kind: 'step', name };
    for (const { node, transition } of transitionsIn(leaf, name)) {
      const timer = timerText(node, transition);
      follow(from, leaf, transition, timer ? [timer] : [], new Set([leaf]));
    }
  }

  const steps = [...new Set(stepAt.values())].map((name) => {
    const path = [...stepAt].find(([, step]) => step === name)?.[0] as string;
    const fragment = Object.entries(definition.fragments ?? {}).find(([at]) =>
      path.startsWith(`${at}.`),
    )?.[1].name;
    return { name, ...(fragment ? { fragment } : {}) };
  });
  // The run-level timers the workflow keeps: a step left idle, a run past its lifetime. The
  // lifetime caps a step's timeout: a step that waits as long as the run lives ends it `expired`.
  const lifetimeMs = definition.lifetimeMs ?? DEFAULT_JOURNEY_LIFETIME_MS;
  for (const step of Object.values(definition.steps)) {
    const idleMs = stepTimeoutMs(step, {});
    if (stepWaitEnd(idleMs, lifetimeMs).status === 'expired') continue;
    addEdge({
      from: { kind: 'step', name: step.name },
      to: { kind: 'outcome', outcome: 'abandoned' },
      label: `idle ${durationText(idleMs)}`,
      timeout: true,
    });
  }
  if (steps.length)
    addEdge({
      from: { kind: 'start' },
      to: { kind: 'outcome', outcome: 'expired' },
      label: `not done within ${durationText(lifetimeMs)}`,
      timeout: true,
    });
  return { steps, edges: [...edges.values()] };
}

const OUTCOME_STYLE = {
  completed: 'fill:#e3f7e3,stroke:#2e7d32',
  failed: 'fill:#fde7e7,stroke:#c62828',
  abandoned: 'fill:#f3f3f3,stroke:#757575',
  expired: 'fill:#f3f3f3,stroke:#757575',
};

/**
 * The step view as a Mermaid flowchart: steps as boxes (grouped by the fragment they come from),
 * outcomes as rounded ends, timers on the arrows, run-level timeouts dotted.
 */
export function stepDiagram(definition: JourneyDefinition): string {
  const view = stepGraph(definition);
  const idOf = (node: StepGraphNode) =>
    node.kind === 'step'
      ? `step_${node.name.replace(/\W/g, '_')}`
      : node.kind === 'outcome'
        ? node.outcome
        : 'start';
  const text = (label: string) => `"${label.replace(/"/g, '#quot;')}"`;
  const outcomes = [
    ...new Set(view.edges.flatMap(({ to }) => (to.kind === 'outcome' ? [to.outcome] : []))),
  ];
  const lines = ['flowchart TD', '  start(("start"))'];
  const fragments = [...new Set(view.steps.flatMap((step) => step.fragment ?? []))];
  for (const step of view.steps.filter((candidate) => !candidate.fragment))
    lines.push(`  ${idOf({ kind: 'step', name: step.name })}[${text(step.name)}]`);
  for (const fragment of fragments) {
    lines.push(
      `  subgraph fragment_${fragment.replace(/\W/g, '_')}[${text(`fragment ${fragment}`)}]`,
    );
    for (const step of view.steps.filter((candidate) => candidate.fragment === fragment))
      lines.push(`    ${idOf({ kind: 'step', name: step.name })}[${text(step.name)}]`);
    lines.push('  end');
  }
  for (const outcome of outcomes) lines.push(`  ${outcome}([${text(outcome)}])`);
  for (const edge of view.edges) {
    const arrow = edge.timeout ? '-.->' : '-->';
    const label = edge.label ? `|${text(edge.label)}|` : '';
    lines.push(`  ${idOf(edge.from)} ${arrow}${label} ${idOf(edge.to)}`);
  }
  lines.push('  classDef step fill:#e6f0ff,stroke:#1f5fd1,stroke-width:2px');
  if (view.steps.length)
    lines.push(
      `  class ${view.steps.map((step) => idOf({ kind: 'step', name: step.name })).join(',')} step`,
    );
  for (const outcome of outcomes) lines.push(`  style ${outcome} ${OUTCOME_STYLE[outcome]}`);
  return lines.join('\n');
}

/** Read where a diagram cannot know the run's context: any value read from it is unknown. */
const UNKNOWN: unknown = new Proxy(() => UNKNOWN, { get: () => UNKNOWN, apply: () => UNKNOWN });

/**
 * The `onDone` branches a final state can take: its output is worked out where it does not depend
 * on the run (a fragment's `{ outcome: 'failed' }`), and named guards that read only that much are
 * decided, so a failed fragment is not drawn leading to the next step. Anything else stays possible.
 */
function takenOnDone(
  definition: JourneyDefinition,
  final: AnyStateNode,
  transitions: AnyTransitionDefinition[],
): AnyTransitionDefinition[] {
  const mapper = final.output as unknown;
  const output = safely(
    () =>
      typeof mapper === 'function' ? mapper({ context: UNKNOWN, event: { type: '' } }) : mapper,
    undefined,
  );
  if (!output || typeof output !== 'object') return transitions;
  let readUnknown = false;
  const watched = new Proxy(output as Record<string, unknown>, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (value === UNKNOWN) readUnknown = true;
      return value;
    },
  });
  const guards = (definition.machine.implementations.guards ?? {}) as Record<string, unknown>;
  const taken: AnyTransitionDefinition[] = [];
  for (const transition of transitions) {
    const guard = transition.guard as string | { type?: string; params?: unknown } | undefined;
    const name = typeof guard === 'string' ? guard : guard?.type;
    const check = name === undefined ? undefined : guards[name];
    readUnknown = false;
    const decided =
      guard === undefined
        ? true
        : typeof check === 'function'
          ? safely(() => {
              const params = typeof guard === 'object' ? guard.params : undefined;
              const result = check(
                { context: UNKNOWN, event: { type: '', output: watched } },
                params,
              );
              return typeof result === 'boolean' && !readUnknown ? result : undefined;
            }, undefined)
          : undefined;
    if (decided === false) continue;
    taken.push(transition);
    if (decided === true) break;
  }
  return taken;
}

function ancestorsOf(node: AnyStateNode): AnyStateNode[] {
  const found: AnyStateNode[] = [];
  for (let parent = node.parent; parent; parent = parent.parent) found.push(parent);
  return found;
}

function nodeAt(root: AnyStateNode, path: string): AnyStateNode | undefined {
  let node: AnyStateNode | undefined = root;
  for (const key of path.split('.')) node = node?.states[key] as AnyStateNode | undefined;
  return node;
}

/** The atomic states a run is in once it enters `node`: initial states, every parallel region. */
function leavesEntered(node: AnyStateNode): AnyStateNode[] {
  if (node.type === 'parallel') return childrenOf(node).flatMap(leavesEntered);
  if (node.type === 'compound') return node.initial.target.flatMap(leavesEntered);
  return [node];
}
const childrenOf = (node: AnyStateNode) => Object.values(node.states) as AnyStateNode[];

/** The events a transition's actions raise, by type (named `raise()` actions included). */
function raisedEvents(
  definition: JourneyDefinition,
  transition: AnyTransitionDefinition,
): string[] {
  const named = (definition.machine.implementations.actions ?? {}) as Record<string, unknown>;
  return transition.actions.flatMap((action) => {
    const resolved = (typeof action === 'string' ? named[action] : action) as
      | { type?: string; event?: unknown }
      | undefined;
    if (resolved?.type !== 'xstate.raise') return [];
    const event = resolved.event as { type?: unknown } | undefined;
    return typeof event?.type === 'string' ? [event.type] : [];
  });
}

function safely<T>(make: () => T, fallback: T): T {
  try {
    return make();
  } catch {
    return fallback;
  }
}
