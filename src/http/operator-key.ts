import type { NextFunction, Request, Response } from 'express';
import { safeEqualHex, sha256Hex } from '../security/tokens.js';
import { HttpProblem } from './problem.js';

/**
 * The key a request carries: a bearer token or, where a browser is to be let in, the password of
 * HTTP Basic credentials (RFC 7617; any user name), which it can send on a plain navigation.
 */
function presentedKey(authorization: string | undefined, basic: boolean): string | undefined {
  const [, scheme, credentials] = authorization?.match(/^(Bearer|Basic) +(.+)$/i) ?? [];
  if (scheme?.toLowerCase() === 'bearer') return credentials;
  if (!basic || scheme?.toLowerCase() !== 'basic' || !credentials) return undefined;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * Operator surfaces (the payload codec, analytics, the dashboard) answer only whoever sends the
 * operator's key, compared in constant time. Being on this machine grants nothing: a browser
 * there runs other sites' pages too. `browser`: Basic credentials are taken too, and the challenge
 * asks for them, so a browser prompts for the key.
 */
export function requireOperatorKey(options: {
  operatorKey: string;
  realm: string;
  browser?: boolean;
}) {
  // An empty or short key would open the door to an empty Basic password or a guess.
  if (options.operatorKey.length < 32) throw new Error(`${options.realm}: the key is too short`);
  const expected = sha256Hex(options.operatorKey);
  const challenge = options.browser
    ? `Basic realm="${options.realm}", charset="UTF-8"`
    : `Bearer realm="${options.realm}"`;
  return (req: Request, _res: Response, next: NextFunction) => {
    const key = presentedKey(req.get('authorization'), options.browser === true);
    if (key === undefined || !safeEqualHex(sha256Hex(key), expected))
      return next(
        new HttpProblem(
          'operator_key_required',
          {},
          { headers: { 'WWW-Authenticate': challenge } },
        ),
      );
    next();
  };
}
