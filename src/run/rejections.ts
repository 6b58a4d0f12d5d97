import type { ErrorCode } from '../errors/catalogue.js';

/** Why a submission was refused before reaching the machine: nothing of it enters history. */
export const rejectionCodes = {
  stepNotCurrent: 'step_not_current',
  /** The machine is still working on an earlier submission (a code being checked). */
  journeyBusy: 'journey_busy',
  journeyClosed: 'journey_closed',
  invalidInput: 'invalid_input',
} as const satisfies Record<string, ErrorCode>;
