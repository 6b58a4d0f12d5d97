import { local } from '../activity-spec.js';

/** A few reads and writes each, idempotent: local. */
export const profileDeclarations = {
  profileQuestions: local(),
  saveProfileAnswers: local(),
  setVerifiedPhone: local(),
};
