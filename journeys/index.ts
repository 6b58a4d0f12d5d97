import { loadJourneys } from '../src/journey-kit/journey-modules.js';
import { journeyModules } from './modules.js';

/** Every journey the engine runs (journeys/modules.ts), loaded: what the API, checks and tools read. */
export const journeyDefinitions = await loadJourneys(journeyModules);
