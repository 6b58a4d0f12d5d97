// `npm run journeys:check [-- path/to/journeys.ts]`: loads the journeys as the worker does (by default
// journeys/modules.ts, or any module exporting `journeyModules`), lists each one's steps and
// activities, and exits 1 naming every problem when one cannot run.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { activityCatalog, activityNames } from '../engine/activity-catalog.js';
import { JourneyDefinitionError } from '../engine/check-journey.js';
import { journeyOutline } from '../engine/diagram.js';
import { type JourneyModules, loadJourneys } from '../engine/journey-modules.js';
import { createRegistry } from '../engine/registry.js';

const moduleUrl = process.argv[2]
  ? pathToFileURL(resolve(process.argv[2])).href
  : new URL('../../journeys/modules.ts', import.meta.url).href;
const { journeyModules } = (await import(moduleUrl)) as { journeyModules: JourneyModules };

const modeOf = (name: string) =>
  activityCatalog[name as keyof typeof activityCatalog]?.mode ?? 'unknown activity';
const loaded = await Promise.all(Object.values(journeyModules).map((load) => load()));
for (const definition of loaded) {
  const outline = journeyOutline(definition);
  console.log(`${outline.key}  ${outline.title}`);
  console.log(
    `  steps:      ${outline.steps.map((step) => `${step.name} (${step.states.join(', ')})`).join('; ')}`,
  );
  console.log(
    `  activities: ${outline.activities.map((name) => `${name} (${modeOf(name)})`).join(', ') || 'none'}`,
  );
}

// Both checks, so every problem is named at once: modules filed under the wrong id@version, and
// journeys that cannot run.
const problems: string[] = [];
for (const check of [
  () => loadJourneys(journeyModules),
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
  console.error(new JourneyDefinitionError(problems).message);
  process.exitCode = 1;
} else console.log(`${loaded.length} journey(s) OK`);
