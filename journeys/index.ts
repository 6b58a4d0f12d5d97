import type { JourneyDefinition } from '../src/engine/define-journey.js';
import { registration } from './registration.js';

/** Every journey the engine runs. Keep old versions here while runs of them are open. */
export const journeyDefinitions: readonly JourneyDefinition[] = [registration];
