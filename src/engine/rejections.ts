/** Why a submission was refused before reaching the machine: nothing of it enters history. */
export const rejectionCodes = {
  stepNotCurrent: 'step_not_current',
  journeyClosed: 'journey_closed',
  invalidInput: 'invalid_input',
} as const;
