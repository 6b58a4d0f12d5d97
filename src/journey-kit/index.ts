// The journey author's toolkit: pure, safe inside Temporal's workflow sandbox.

export type { IssuedSession } from '../activities/sessions/sessions.js';
export type { CodeTemplate, NoticeTemplate } from '../channels/render.js';
export {
  type ErrorCode,
  type FieldError,
  type JourneyFailure,
  journeyFailure,
  type StepError,
  stepError,
} from '../errors/catalogue.js';
export type { JourneyActivityError } from '../errors/journey-error.js';
export { activity, outputOf } from './activity.js';
export { defineJourney, type JourneyInput, type SessionRef, step } from './define-journey.js';
export { emailField, phoneField } from './fields.js';
export {
  type Fragment,
  type FragmentImplementations,
  type FragmentOutcome,
  prefixed,
  prefixOf,
} from './fragment.js';
export { journeySetup, mergeImplementations } from './journey-setup.js';
export {
  deliveringNotice,
  failOnActivityError,
  journeyEnds,
  openingSession,
  outcomeActions,
  outcomeGuards,
  rejectAt,
} from './outcomes.js';
export { type JourneyResult, type LoginResult, results } from './results.js';
export { secret } from './secret-fields.js';
export { maxAgeSetting, startFields } from './start-fields.js';
