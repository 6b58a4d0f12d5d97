import { local } from '../activity-spec.js';

/**
 * Calls out to the provider (discovery once, then its token endpoint and keys) and a few database
 * writes. A provider's code is single use and the sign-in's row is spent before it is redeemed: a
 * retry could only fail, so the answer is tried once and the journey decides.
 */
export const socialDeclarations = {
  beginSocialSignIn: local({ startToCloseTimeout: '20s' }),
  completeSocialSignIn: local({
    startToCloseTimeout: '20s',
    retry: { maximumAttempts: 1 },
  }),
  linkSocialIdentity: local(),
};
