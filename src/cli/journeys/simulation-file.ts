import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseSimulation, type SimulationScript } from '../../authoring/simulation.js';
import { type JourneyDefinition, journeyKey } from '../../journey-kit/define-journey.js';
import { repoRoot } from './load.js';

/** Where a journey's example simulation lives: `simulate` and `paths` read it by default. */
export const simulationPath = (definition: JourneyDefinition) =>
  resolve(
    repoRoot,
    'journeys/simulations',
    `${journeyKey(definition.id, definition.version)}.json`,
  );

/** A simulation file, read and checked; its problems are named with the file. */
export async function readSimulation(
  definition: JourneyDefinition,
  file?: string,
): Promise<{ file: string; script: SimulationScript }> {
  const path = file ? resolve(file) : simulationPath(definition);
  const text = await readFile(path, 'utf8').catch(() => {
    throw new Error(
      `${path}: no simulation file${file ? '' : ` for ${journeyKey(definition.id, definition.version)} (write one, or pass --input)`}`,
    );
  });
  try {
    return { file: path, script: parseSimulation(JSON.parse(text)) };
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
