import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import type { JourneyDefinition } from '../journey-kit/define-journey.js';
import { journeyKey } from '../journey-kit/define-journey.js';
import { descendants, statePath } from '../journey-kit/state-nodes.js';

/** What a journey asks of the customer and of the world: its steps (with their states) and activities. */
export interface JourneyOutline {
  key: string;
  title: string;
  steps: Array<{ name: string; states: string[] }>;
  /** Activities the machine invokes, in the order the machine declares them. */
  activities: string[];
  /** Fragments the journey includes, with the state each is placed at. */
  fragments: Array<{ name: string; at: string }>;
}

export function journeyOutline(definition: JourneyDefinition): JourneyOutline {
  const steps = new Map<string, string[]>();
  for (const [path, step] of Object.entries(definition.steps))
    steps.set(step.name, [...(steps.get(step.name) ?? []), path]);
  const invoked = descendants(definition.machine.root).flatMap((node) =>
    node.invoke.map((invoke) => String(invoke.src)),
  );
  return {
    key: journeyKey(definition.id, definition.version),
    title: definition.title,
    steps: [...steps].map(([name, states]) => ({ name, states })),
    activities: [...new Set(invoked)],
    fragments: Object.entries(definition.fragments ?? {}).map(([at, fragment]) => ({
      name: fragment.name,
      at,
    })),
  };
}

// Mermaid ids are \w+ and global to the diagram (so nested states use their full path); its lexer
// reads a leading "default" as a keyword. Labels may not hold `:` `;` `#` `"` or line breaks.
function mermaidId(node: AnyStateNode): string {
  const id = node.path.join('_').replace(/\W/g, '_');
  return /^default/i.test(id) ? `s_${id}` : id;
}
const label = (text: string) => text.replace(/[:;#"\n]/g, ' ').trim();

/** A guard as a reader would say it: `wantsResend and in resendOpen`. */
function guardText(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const higher = guard as { name: string; guards?: unknown[]; stateValue?: unknown };
    if (higher.stateValue !== undefined) {
      const state =
        typeof higher.stateValue === 'string'
          ? higher.stateValue
          : JSON.stringify(higher.stateValue);
      return `in ${state.replace(/^#/, '')}`;
    }
    if (higher.guards) {
      const parts = higher.guards.map((part) => {
        const text = guardText(part);
        return typeof part === 'function' && (part as { guards?: unknown }).guards
          ? `(${text})`
          : text;
      });
      return higher.name === 'not' ? `not ${parts.join(' ')}` : parts.join(` ${higher.name} `);
    }
    return 'inline guard';
  }
  if (guard && typeof guard === 'object' && 'type' in guard) return String(guard.type);
  return 'guard';
}

function actionText(action: unknown): string {
  if (typeof action === 'string') return action;
  const typed = action as { type?: unknown; name?: string };
  if (typeof typed?.type === 'string') return typed.type.replace(/^xstate\./, '');
  return typed?.name || 'action';
}

/** What fires a transition: the event, a delay, an invoked activity settling, or nothing (`always`). */
function triggerText(node: AnyStateNode, transition: AnyTransitionDefinition): string {
  const event = String(transition.eventType);
  if (event === '') return 'always';
  if (event === '*') return 'any event';
  const delayed = node.after.find((after) => after.eventType === event);
  if (delayed)
    return typeof delayed.delay === 'number'
      ? `after ${delayed.delay}ms`
      : `after ${String(delayed.delay)}`;
  for (const invoke of node.invoke) {
    if (event === `xstate.done.actor.${invoke.id}`) return `${String(invoke.src)} done`;
    if (event === `xstate.error.actor.${invoke.id}`) return `${String(invoke.src)} error`;
  }
  if (event.startsWith('xstate.done.state.')) return 'done';
  return event;
}

function transitionText(
  node: AnyStateNode,
  transition: AnyTransitionDefinition,
  withActions: boolean,
): string {
  const guard = transition.guard === undefined ? '' : ` [${guardText(transition.guard)}]`;
  const actions =
    withActions && transition.actions.length
      ? ` / ${transition.actions.map(actionText).join(', ')}`
      : '';
  return label(`${triggerText(node, transition)}${guard}${actions}`);
}

const transitionsOf = (node: AnyStateNode): AnyTransitionDefinition[] =>
  [...node.transitions.values()].flat().concat(node.always ?? []);

/**
 * A Mermaid `stateDiagram-v2` of a journey's machine: nested and parallel states, every transition
 * labelled with what fires it (event, `after` delay, invoked activity done/error, `always`) and its
 * guard, interactive steps marked with their step name, final states, and the reactions that change
 * no state listed inside their state.
 */
export function journeyDiagram(definition: JourneyDefinition): string {
  const root = definition.machine.root;
  const stepNames = new Map(
    Object.entries(definition.steps).map(([path, step]) => [path, step.name]),
  );
  const ids = new Map<AnyStateNode, string>();
  for (const node of descendants(root)) {
    const id = mermaidId(node);
    const clash = [...ids].find(([, other]) => other === id);
    if (clash)
      throw new Error(
        `${journeyKey(definition.id, definition.version)}: states '${statePath(clash[0])}' and '${statePath(node)}' have the same diagram id`,
      );
    ids.set(node, id);
  }
  const idOf = (node: AnyStateNode) => ids.get(node) as string;
  const lines: string[] = [];
  const edges: string[] = [];

  const declare = (node: AnyStateNode, indent: string): void => {
    const id = idOf(node);
    const step = stepNames.get(statePath(node));
    const fragment = definition.fragments?.[statePath(node)];
    const notes = [
      ...(fragment ? [`fragment ${fragment.name}`] : []),
      ...(step ? [`step ${step}`] : []),
      ...node.invoke.map((invoke) => `invoke ${String(invoke.src)}`),
      ...transitionsOf(node)
        .filter((transition) => !transition.target?.length)
        .map((transition) => transitionText(node, transition, true)),
    ].map(label);
    const children = Object.values(node.states) as AnyStateNode[];
    if (children.length === 0) {
      lines.push(`${indent}state "${label(node.key)}" as ${id}`);
      for (const note of notes) lines.push(`${indent}${id} : ${note}`);
      return;
    }
    // A cluster shows one label: what it would list as notes goes into its title.
    lines.push(`${indent}state "${label([node.key, ...notes].join(' · '))}" as ${id} {`);
    children.forEach((child, index) => {
      if (node.type === 'parallel' && index > 0) lines.push(`${indent}  --`);
      declare(child, `${indent}  `);
    });
    if (node.type === 'compound')
      for (const initial of node.initial.target) lines.push(`${indent}  [*] --> ${idOf(initial)}`);
    for (const child of children)
      if (child.type === 'final') lines.push(`${indent}  ${idOf(child)} --> [*]`);
    lines.push(`${indent}}`);
  };

  for (const node of descendants(root)) {
    for (const transition of transitionsOf(node)) {
      for (const target of transition.target ?? [])
        edges.push(
          `  ${idOf(node)} --> ${idOf(target)} : ${transitionText(node, transition, false)}`,
        );
    }
  }
  const children = Object.values(root.states) as AnyStateNode[];
  for (const child of children) declare(child, '  ');
  const steps = descendants(root).filter((node) => stepNames.has(statePath(node)));
  return [
    'stateDiagram-v2',
    '  classDef step fill:#e6f0ff,stroke:#1f5fd1,stroke-width:2px',
    ...lines,
    ...root.initial.target.map((initial) => `  [*] --> ${idOf(initial)}`),
    ...children
      .filter((child) => child.type === 'final')
      .map((child) => `  ${idOf(child)} --> [*]`),
    ...edges,
    ...(steps.length ? [`  class ${steps.map(idOf).join(',')} step`] : []),
  ].join('\n');
}

/** Where a journey's diagram page lives, relative to the repository root. */
export const journeyDiagramPath = (definition: JourneyDefinition) =>
  `docs/journeys/${journeyKey(definition.id, definition.version)}.md`;

/** The checked-in page for a journey: a short header and its diagram. */
export function journeyDiagramPage(definition: JourneyDefinition): string {
  const outline = journeyOutline(definition);
  const code = (text: string) => `\`${text}\``;
  return [
    `# ${outline.key}: ${outline.title}`,
    '',
    "Generated from the journey's XState machine by `npm run journeys:diagram`: do not edit by hand",
    '(a unit test fails when this page and the machine disagree).',
    '',
    `- Steps (where the journey waits for the customer): ${outline.steps.map((step) => `${code(step.name)} (${step.states.map(code).join(', ')})`).join('; ')}.`,
    `- Activities: ${outline.activities.map(code).join(', ') || 'none'}.`,
    ...(outline.fragments.length
      ? [
          `- Fragments (written once, shared by journeys): ${outline.fragments.map((fragment) => `${code(fragment.name)} at ${code(fragment.at)}`).join('; ')}.`,
        ]
      : []),
    '- Transitions say what fires them: an event (a step submitted), `after` a named delay, an invoked',
    '  activity `done` or `error`, or `always`; `[…]` is the guard. Reactions that change no state are',
    '  listed inside their state, with their actions.',
    '',
    '```mermaid',
    journeyDiagram(definition),
    '```',
    '',
  ].join('\n');
}
