import { simulate } from '../../authoring/simulation.js';
import { SubmissionRefused } from '../../authoring/test-kit.js';
import { journeyKey } from '../../journey-kit/define-journey.js';
import { type Io, journeyModulesFrom, pickJourney } from './load.js';
import { readSimulation } from './simulation-file.js';

/**
 * `parcours journeys simulate <id> [--input file]`: runs the journey in memory through the test
 * kit, from its simulation file, printing what the customer sees after each action. A submission
 * the step API would refuse ends it with exit 1.
 */
export async function simulateJourney(
  ref: string | undefined,
  options: { journeys?: string; input?: string },
  io: Io,
): Promise<number> {
  const definition = await pickJourney(await journeyModulesFrom(options.journeys), ref);
  const { file, script } = await readSimulation(definition, options.input);
  io.out(`${journeyKey(definition.id, definition.version)} simulated from ${file}`);
  try {
    const end = await simulate(definition, script, ({ action, calls, view }) => {
      const step = view.step ? ` at ${view.step.name}` : '';
      io.out(`\n▶ ${action}${calls.length ? `  (activities: ${calls.join(', ')})` : ''}`);
      io.out(`  ${view.status}${step}`);
      io.out(
        JSON.stringify(view, null, 2)
          .split('\n')
          .map((line) => `  ${line}`)
          .join('\n'),
      );
    });
    io.out(`\nended ${end.status}`);
    return 0;
  } catch (error) {
    if (!(error instanceof SubmissionRefused)) throw error;
    io.err(`refused (${error.code}): ${error.message}`);
    return 1;
  }
}
