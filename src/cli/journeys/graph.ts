import { access, writeFile } from 'node:fs/promises';
import { journeyDiagram } from '../../authoring/diagram.js';
import { stepDiagram } from '../../authoring/step-diagram.js';
import { journeyKey } from '../../journey-kit/define-journey.js';
import { chromiumPath, diagramHtml, renderSvg } from './diagram-page.js';
import { type Io, journeyModulesFrom, pickJourney, UsageError } from './load.js';

export interface GraphOptions {
  journeys?: string;
  /** `full`: the statechart for engineers; `steps`: steps, outcomes and timers for product teams. */
  view?: string;
  format?: string;
  out?: string;
}

const views = { full: journeyDiagram, steps: stepDiagram };
const formats = ['mermaid', 'html', 'svg'];

/** `parcours journeys graph <id>`: a journey's diagram as Mermaid text, an HTML page or an SVG. */
export async function graphJourney(
  ref: string | undefined,
  options: GraphOptions,
  io: Io,
): Promise<number> {
  const view = options.view ?? 'full';
  const format = options.format ?? 'mermaid';
  if (!(view in views)) throw new UsageError(`--view is full or steps, not '${view}'`);
  if (!formats.includes(format))
    throw new UsageError(`--format is ${formats.join(', ')}, not '${format}'`);
  const definition = await pickJourney(await journeyModulesFrom(options.journeys), ref);
  const diagram = views[view as keyof typeof views](definition);
  let output = diagram;
  if (format !== 'mermaid') {
    const title = `${journeyKey(definition.id, definition.version)}: ${definition.title} (${view === 'steps' ? 'steps' : 'statechart'})`;
    output = await diagramHtml(title, diagram);
    if (format === 'svg') {
      const chromium = chromiumPath();
      if (
        !(await access(chromium).then(
          () => true,
          () => false,
        ))
      ) {
        io.err(
          `--format svg renders in Chromium, and there is none at ${chromium} (apt-get install chromium, or set PARCOURS_CHROMIUM): use --format html for a page that draws the diagram in any browser`,
        );
        return 1;
      }
      output = await renderSvg(output);
    }
  }
  if (options.out) {
    await writeFile(options.out, `${output}\n`);
    io.err(`wrote ${options.out}`);
  } else io.out(output);
  return 0;
}
