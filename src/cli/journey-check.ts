// `npm run journeys:check [-- path/to/journeys.ts]`: loads the journeys as the worker does (by default
// journeys/index.ts, or any module exporting `journeyDefinitions`), lists each one's steps and
// activities, and exits 1 naming every problem when one cannot run.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { activityCatalog, activityNames } from '../engine/activity-catalog.js';
import type { JourneyDefinition } from '../engine/define-journey.js';
import { journeyOutline } from '../engine/diagram.js';
import { createRegistry } from '../engine/registry.js';

const moduleUrl = process.argv[2]
  ? pathToFileURL(resolve(process.argv[2])).href
  : new URL('../../journeys/index.ts', import.meta.url).href;
const { journeyDefinitions } = (await import(moduleUrl)) as {
  journeyDefinitions: readonly JourneyDefinition[];
};

const modeOf = (name: string) =>
  activityCatalog[name as keyof typeof activityCatalog]?.mode ?? 'unknown activity';
for (const definition of journeyDefinitions) {
  const outline = journeyOutline(definition);
  console.log(`${outline.key}  ${outline.title}`);
  console.log(
    `  steps:      ${outline.steps.map((step) => `${step.name} (${step.states.join(', ')})`).join('; ')}`,
  );
  console.log(
    `  activities: ${outline.activities.map((name) => `${name} (${modeOf(name)})`).join(', ') || 'none'}`,
  );
}

try {
  createRegistry(journeyDefinitions, activityNames);
  console.log(`${journeyDefinitions.length} journey(s) OK`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
