import type { JourneyDefinition } from './define-journey.js';
import { journeyKey } from './define-journey.js';

/**
 * The journeys the engine runs, by `id@version`, each behind a loader: a workflow run loads only
 * its own journey's module, so a worker's cost per run stays the same however many journeys and
 * versions it serves (each module builds its machine and schemas when it is first evaluated, and
 * Temporal's sandbox evaluates workflow modules once per run).
 */
export type JourneyModules = Readonly<Record<string, () => Promise<JourneyDefinition>>>;

/** Every journey of a module map, loaded; each must be filed under its own `id@version`. */
export async function loadJourneys(modules: JourneyModules): Promise<JourneyDefinition[]> {
  const loaded = await Promise.all(
    Object.entries(modules).map(async ([key, load]) => [key, await load()] as const),
  );
  const misfiled = loaded
    .filter(([key, definition]) => key !== journeyKey(definition.id, definition.version))
    .map(
      ([key, definition]) =>
        `${key}: its module holds ${journeyKey(definition.id, definition.version)}`,
    );
  if (misfiled.length) throw new JourneyDefinitionError(misfiled);
  return loaded.map(([, definition]) => definition);
}

/** A journey that cannot run: names the journey, version and state so the author can fix it. */
export class JourneyDefinitionError extends Error {
  readonly code = 'invalid_journey_definition';
  constructor(readonly problems: string[]) {
    super(`Invalid journey definition:\n  - ${problems.join('\n  - ')}`);
    this.name = 'JourneyDefinitionError';
  }
}
