import { local } from '../../activity-spec.js';

/** registration@1's own activities (see registration-v1.ts): remove with registration@1. */
export const registrationV1Declarations = {
  issueEmailCode: local(),
  verifyEmailCode: local(),
  createUser: local(),
};
