import type { Keyring } from '../../security/keyring.js';
import { parseLinkToken } from '../../security/link-token.js';
import { hmacSha256Hex, safeEqualHex } from '../../security/tokens.js';

/**
 * The key purpose codes and links are kept under. Its label predates the other channels; renaming
 * it would invalidate every live code.
 */
export const CODE_KEY_PURPOSE = 'email-code';

/** A link's secret as it is kept: an HMAC bound to its challenge, like the code's. */
export const linkHashOf = (key: Buffer, challengeId: string, secret: string): string =>
  hmacSha256Hex(key, `${challengeId}:link:${secret}`);

/** What a link is checked against: its challenge, as the table keeps it. */
export interface LinkedChallenge {
  id: string;
  linkHash: string | null;
  codeKeyId: string | null;
}

/**
 * Whether `token` is the link made for `challenge`: its id is in the token, and its secret matches
 * under the key the challenge names. The same work whether or not it matches. The step API checks
 * a link before it troubles the run with it; the run's activity checks it again as it consumes it.
 */
export function createLinkCheck(keyring: Keyring) {
  const peppers = keyring.derive(CODE_KEY_PURPOSE);
  return (challenge: LinkedChallenge, token: string): boolean => {
    const link = parseLinkToken(token);
    const key = challenge.codeKeyId ? peppers.key(challenge.codeKeyId) : peppers.active;
    const expected = linkHashOf(key ?? peppers.active, challenge.id, link?.secret ?? '');
    return (
      link?.challengeId === challenge.id &&
      key !== undefined &&
      challenge.linkHash !== null &&
      safeEqualHex(expected, challenge.linkHash)
    );
  };
}
