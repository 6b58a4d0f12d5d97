import { activityNames } from '../../activities/catalog.js';
import { loadJourneys } from '../../journey-kit/journey-modules.js';
import { JourneyDefinitionError } from '../../journey-registry/check-journey.js';
import { createRegistry } from '../../journey-registry/registry.js';
import { outlineLines } from './list.js';
import { type Io, journeyModulesFrom } from './load.js';

/**
 * `parcours journeys check`: loads the journeys as the worker does, prints each outline, and exits
 * 1 naming every problem (journey, version and state) of one that cannot run.
 */
export async function checkJourneys(options: { journeys?: string }, io: Io): Promise<number> {
  const modules = await journeyModulesFrom(options.journeys);
  const loaded = await Promise.all(Object.values(modules).map((load) => load()));
  for (const definition of loaded) io.out(outlineLines(definition).join('\n'));
  // Both checks, so every problem is named at once: modules filed under the wrong id@version, and
  // journeys that cannot run.
  const problems: string[] = [];
  for (const check of [
    () => loadJourneys(modules),
    async () => createRegistry(loaded, activityNames),
  ]) {
    try {
      await check();
    } catch (error) {
      if (!(error instanceof JourneyDefinitionError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length) {
    io.err(new JourneyDefinitionError(problems).message);
    return 1;
  }
  io.out(`${loaded.length} journey(s) OK`);
  return 0;
}
