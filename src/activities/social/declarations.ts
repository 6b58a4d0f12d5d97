import { local } from '../activity-spec.js';

/**
 * Calls out to the provider (discovery once, then its token endpoint and keys) and a few database
 * writes. A call that failed on the way (the network) is tried again: the code is only revealed
 * and the sign-in spent once the provider took it, and the provider takes a code once.
 */
export const socialDeclarations = {
  beginSocialSignIn: local({ startToCloseTimeout: '20s' }),
  completeSocialSignIn: local({
    startToCloseTimeout: '20s',
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 3 },
  }),
  linkSocialIdentity: local(),
};
