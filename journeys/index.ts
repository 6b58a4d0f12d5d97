import type { JourneyDefinition } from '../src/engine/define-journey.js';
import { emailChange } from './email-change.js';
import { registration } from './registration.js';
import { registrationV1 } from './registration-v1.js';

/** Every journey the engine runs. Keep old versions here while runs of them are open. */
export const journeyDefinitions: readonly JourneyDefinition[] = [
  registrationV1,
  registration,
  emailChange,
];
