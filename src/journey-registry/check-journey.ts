import type { AnyStateNode } from 'xstate';
import type { JourneyDefinition } from '../journey-kit/define-journey.js';
import { journeyKey } from '../journey-kit/define-journey.js';
import { absoluteIdsIn, type Fragment, fragmentSteps } from '../journey-kit/fragment.js';
import { descendants, statePath } from '../journey-kit/state-nodes.js';
import { FINISHING_TAG } from '../run/run-state.js';

export { JourneyDefinitionError } from '../journey-kit/journey-modules.js';

function insideParallel(node: AnyStateNode): boolean {
  for (let n = node.parent; n; n = n.parent) if (n.type === 'parallel') return true;
  return false;
}

const pathOf = (node: AnyStateNode): string => statePath(node) || '(root)';

function nodeAt(root: AnyStateNode, path: string): AnyStateNode | undefined {
  let node: AnyStateNode | undefined = root;
  for (const key of path.split('.')) node = node?.states[key] as AnyStateNode | undefined;
  return node;
}

/** Nodes the machine can enter, following initial states, parallel regions and every transition. */
function reachableNodes(root: AnyStateNode): Set<AnyStateNode> {
  const reached = new Set<AnyStateNode>();
  const queue: AnyStateNode[] = [root];
  const enter = (node: AnyStateNode) => {
    for (let n: AnyStateNode | undefined = node; n && !reached.has(n); n = n.parent) {
      reached.add(n);
      queue.push(n);
    }
  };
  while (queue.length) {
    const node = queue.shift() as AnyStateNode;
    if (node.type === 'compound') for (const target of node.initial.target) enter(target);
    if (node.type === 'parallel')
      for (const child of Object.values(node.states)) enter(child as AnyStateNode);
    const transitions = [...node.transitions.values()].flat().concat(node.always ?? []);
    for (const transition of transitions)
      for (const target of transition.target ?? []) enter(target);
  }
  return reached;
}

/**
 * Checks a journey at load: steps name real states with an input schema, every waiting state is a
 * step, side effects are known activities, every state is reachable and so is a final state.
 */
export function checkJourney(
  definition: JourneyDefinition,
  activityNames: ReadonlySet<string>,
): string[] {
  const where = (state: string) =>
    `${journeyKey(definition.id, definition.version)} state '${state}'`;
  const root = definition.machine.root as AnyStateNode;
  const problems: string[] = [];
  const stepNodes = new Set<AnyStateNode>();
  const stepsByName = new Map<string, unknown>();

  for (const [path, step] of Object.entries(definition.steps)) {
    const node = nodeAt(root, path);
    if (!node)
      problems.push(`${where(path)}: step '${step.name}' names a state that does not exist`);
    else stepNodes.add(node);
    if (typeof step.input?.safeParse !== 'function')
      problems.push(`${where(path)}: step '${step.name}' has no zod input schema`);
    const sameName = stepsByName.get(step.name);
    if (sameName && sameName !== step)
      problems.push(`${where(path)}: two different steps are named '${step.name}'`);
    stepsByName.set(step.name, step);
  }

  const nodes = [root, ...descendants(root)];
  for (const node of nodes) {
    for (const invoke of node.invoke) {
      // XState names an inline actor itself (`xstate.invoke.0...`), so it lands here too.
      if (!activityNames.has(String(invoke.src))) {
        problems.push(
          `${where(pathOf(node))}: invokes '${String(invoke.src)}', which is not a known activity (side effects must be named activities)`,
        );
      }
      // An unhandled activity failure would stop the whole journey; every effect says what failure means.
      if (!invoke.onError)
        problems.push(`${where(pathOf(node))}: invokes '${String(invoke.src)}' without onError`);
    }
    // A leaf of a parallel region may just mark a condition (`resend.ready`); elsewhere waiting means a step.
    const waitsForNothing =
      node.type === 'atomic' &&
      node.invoke.length === 0 &&
      !node.always?.length &&
      node.after.length === 0 &&
      !insideParallel(node);
    // A finishing state has its outcome decided: waiting there for the customer would contradict it.
    if (node.tags.includes(FINISHING_TAG) && stepNodes.has(node))
      problems.push(`${where(pathOf(node))}: is finishing, so it cannot be a step`);
    if (waitsForNothing && !stepNodes.has(node)) {
      problems.push(
        `${where(pathOf(node))}: waits for the customer but is not an interactive step (no input schema)`,
      );
    }
  }

  for (const [at, fragment] of Object.entries(definition.fragments ?? {}))
    problems.push(...checkFragment(definition, at, fragment, where));

  const reached = reachableNodes(root);
  for (const node of nodes)
    if (!reached.has(node)) problems.push(`${where(pathOf(node))}: is unreachable`);
  const finals = Object.values(root.states).filter(
    (node) => (node as AnyStateNode).type === 'final',
  );
  if (!finals.some((node) => reached.has(node as AnyStateNode))) {
    problems.push(`${journeyKey(definition.id, definition.version)}: no final state is reachable`);
  }
  // XState gives a machine no output unless its root says so: the final state's output would be lost.
  if (
    definition.machine.config.output === undefined &&
    finals.some((node) => (node as AnyStateNode).output !== undefined)
  ) {
    problems.push(
      `${journeyKey(definition.id, definition.version)}: final states have an output but the machine has none (add output: ({ event }) => event.output)`,
    );
  }
  // A run gets its settings parsed, defaults filled in (step-api.ts), so a default changed later
  // cannot change a run in flight; parsing them again in the run must give them back unchanged.
  const defaults = definition.settings.safeParse({});
  if (defaults.success) {
    const again = definition.settings.safeParse(defaults.data);
    if (!again.success || JSON.stringify(again.data) !== JSON.stringify(defaults.data))
      problems.push(
        `${journeyKey(definition.id, definition.version)}: its settings do not parse their own output unchanged (no transforms in settings)`,
      );
  }
  return problems;
}

/**
 * A fragment is placed where the journey says, with relative targets only, its outcome handled
 * (onDone) and its implementations provided by the journey's setup().
 */
function checkFragment(
  definition: JourneyDefinition,
  at: string,
  fragment: Fragment,
  where: (state: string) => string,
): string[] {
  const problems: string[] = [];
  const named = `fragment '${fragment.name}'`;
  const node = nodeAt(definition.machine.root as AnyStateNode, at);
  if (!node || node.config.states !== fragment.state.states)
    problems.push(`${where(at)}: ${named} is declared here but the state is not the fragment's`);
  else if (!node.config.onDone)
    problems.push(`${where(at)}: ${named} has no onDone, so its outcome would be lost`);
  for (const found of absoluteIdsIn(fragment.state))
    problems.push(`${where(at)}: ${named} uses an absolute id (${found}): target relatively`);
  const provided = definition.machine.implementations as unknown as Record<
    string,
    Record<string, unknown>
  >;
  for (const [kind, implementations] of Object.entries(fragment.implementations))
    for (const name of Object.keys(implementations))
      if (!provided[kind]?.[name])
        problems.push(
          `${where(at)}: ${named} needs ${kind} '${name}': list it in journeySetup's fragments`,
        );
  for (const [path, step] of Object.entries(fragmentSteps(at, fragment)))
    if (definition.steps[path] !== step)
      problems.push(`${where(path)}: a step of the journey replaces one of ${named}`);
  return problems;
}
