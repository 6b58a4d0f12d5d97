import type { NextFunction, Request, Response } from 'express';
import { safeEqualHex, sha256Hex } from '../security/tokens.js';
import { isLoopback } from './network-addresses.js';
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
 * Operator surfaces (the payload codec, analytics, the dashboard) answer whoever sends the
 * operator's key, compared in constant time; without a key configured (embedded mode), only
 * clients on this machine. `browser`: Basic credentials are taken too, and the challenge asks for
 * them, so a browser prompts for the key.
 */
export function requireOperatorKey(options: {
  operatorKey?: string;
  realm: string;
  browser?: boolean;
}) {
  const expected = options.operatorKey ? sha256Hex(options.operatorKey) : undefined;
  const challenge = options.browser
    ? `Basic realm="${options.realm}", charset="UTF-8"`
    : `Bearer realm="${options.realm}"`;
  return (req: Request, _res: Response, next: NextFunction) => {
    const key = presentedKey(req.get('authorization'), options.browser === true);
    const allowed = expected
      ? key !== undefined && safeEqualHex(sha256Hex(key), expected)
      : isLoopback(req.socket.remoteAddress);
    if (!allowed)
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
