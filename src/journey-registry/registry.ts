import type { JourneyDefinition, StepDefinition } from '../journey-kit/define-journey.js';
import { journeyKey } from '../journey-kit/define-journey.js';
import { checkJourney, JourneyDefinitionError } from './check-journey.js';

export interface JourneyRegistry {
  get(id: string, version: number): JourneyDefinition | undefined;
  /** The newest version of a journey: what a new run starts on. */
  latest(id: string): JourneyDefinition | undefined;
  list(): JourneyDefinition[];
  step(definition: JourneyDefinition, name: string): StepDefinition | undefined;
}

/**
 * Loads journey definitions as `id@version`, checking each; a broken journey fails here, at start,
 * with journey, version and state named. `checked`: the process already checked these very
 * definitions (the workflow sandbox, which would otherwise check them again for every run).
 */
export function createRegistry(
  definitions: readonly JourneyDefinition[],
  activityNames: Iterable<string>,
  options: { checked?: boolean } = {},
): JourneyRegistry {
  const known = new Set(activityNames);
  const byKey = new Map<string, JourneyDefinition>();
  const problems: string[] = [];
  for (const definition of definitions) {
    const key = journeyKey(definition.id, definition.version);
    if (byKey.has(key)) problems.push(`${key}: defined twice`);
    byKey.set(key, definition);
    if (!options.checked) problems.push(...checkJourney(definition, known));
  }
  if (problems.length) throw new JourneyDefinitionError(problems);

  const sorted = [...byKey.values()].sort(
    (a, b) => a.id.localeCompare(b.id) || a.version - b.version,
  );
  return {
    get: (id, version) => byKey.get(journeyKey(id, version)),
    latest: (id) => sorted.filter((definition) => definition.id === id).at(-1),
    list: () => sorted,
    step: (definition, name) => Object.values(definition.steps).find((step) => step.name === name),
  };
}
