import { activityCatalog } from '../../activities/catalog.js';
import { journeyOutline } from '../../authoring/diagram.js';
import type { JourneyDefinition } from '../../journey-kit/define-journey.js';
import { loadJourneys } from '../../journey-kit/journey-modules.js';
import { type Io, journeyModulesFrom } from './load.js';

const modeOf = (name: string) =>
  activityCatalog[name as keyof typeof activityCatalog]?.mode ?? 'unknown activity';

/** A journey as `list` and `check` print it: key and title, steps (with states), activities, fragments. */
export function outlineLines(definition: JourneyDefinition): string[] {
  const outline = journeyOutline(definition);
  return [
    `${outline.key}  ${outline.title}`,
    `  steps:      ${outline.steps.map((step) => `${step.name} (${step.states.join(', ')})`).join('; ') || 'none'}`,
    `  activities: ${outline.activities.map((name) => `${name} (${modeOf(name)})`).join(', ') || 'none'}`,
    ...(outline.fragments.length
      ? [
          `  fragments:  ${outline.fragments.map((fragment) => `${fragment.name} at ${fragment.at}`).join('; ')}`,
        ]
      : []),
  ];
}

/** `parcours journeys list`: every journey of the module map, with its steps and fragments. */
export async function listJourneys(options: { journeys?: string }, io: Io): Promise<number> {
  const definitions = await loadJourneys(await journeyModulesFrom(options.journeys));
  for (const definition of definitions) io.out(outlineLines(definition).join('\n'));
  return 0;
}
