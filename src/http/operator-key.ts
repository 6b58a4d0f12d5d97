import type { NextFunction, Request, Response } from 'express';
import { safeEqualHex, sha256Hex } from '../security/tokens.js';
import { isLoopback } from './network-addresses.js';
import { HttpProblem } from './problem.js';

/**
 * Operator surfaces (the payload codec, analytics) answer whoever sends the operator's key as a
 * bearer token, compared in constant time; without a key configured (embedded mode), only clients
 * on this machine.
 */
export function requireOperatorKey(options: { operatorKey?: string; realm: string }) {
  const expected = options.operatorKey ? sha256Hex(options.operatorKey) : undefined;
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = req.get('authorization')?.match(/^Bearer +(.+)$/i)?.[1];
    const allowed = expected
      ? token !== undefined && safeEqualHex(sha256Hex(token), expected)
      : isLoopback(req.socket.remoteAddress);
    if (!allowed)
      return next(
        new HttpProblem(
          'operator_key_required',
          {},
          { headers: { 'WWW-Authenticate': `Bearer realm="${options.realm}"` } },
        ),
      );
    next();
  };
}
