import { local } from '../activity-spec.js';

/** Issuing and checking a code are short database work, run in the step's own workflow task. */
export const otpDeclarations = {
  issueOtp: local(),
  verifyOtp: local(),
};
