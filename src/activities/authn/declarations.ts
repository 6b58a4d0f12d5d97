import { local, queued } from '../activity-spec.js';

/** Database reads and writes and one hash or HMAC each: short, idempotent enough, local. */
export const authnDeclarations = {
  verifyPassword: local(),
  listFactors: local(),
  removeFactor: local(),
  beginTotpEnrolment: local(),
  confirmTotp: local(),
  verifyTotp: local(),
  beginPasskeyRegistration: local(),
  finishPasskeyRegistration: local(),
  beginPasskeySignIn: local(),
  verifyPasskey: local(),
  reinstatePasskey: local(),
  issueRecoveryCodes: local(),
  forgetRecoveryCodes: local(),
  verifyRecoveryCode: local(),
  findRecoveryAccount: local(),
  completeRecovery: local(),
  enrolPhone: local(),
  sendSmsCode: local(),
  verifySmsCode: local(),
  scheduleFactorReset: local(),
  remindFactorReset: local(),
  // Days after its run was last busy: retried on its own for minutes, as a message is.
  completeFactorReset: queued(),
};
