// The journey author's toolkit: pure, safe inside Temporal's workflow sandbox.
export { activity } from './activity-actors.js';
export { defineJourney, type JourneyInput, step } from './define-journey.js';
export {
  type ErrorCode,
  type JourneyFailure,
  journeyFailure,
  type StepError,
  stepError,
} from './errors.js';
export { emailField } from './fields.js';
export type { JourneyActivityError } from './journey-error.js';
export { secret } from './secret-fields.js';
