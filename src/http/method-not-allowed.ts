import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

/**
 * The last handler of a path: a method the path does not serve is `405` with `Allow` (RFC 9110
 * §15.5.6), not `404`, so a client learns it has the right address and the wrong verb.
 */
export const methodNotAllowed =
  (...allowed: string[]): RequestHandler =>
  (_req, _res, next) => {
    const allow = [...new Set([...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])])];
    next(new HttpProblem('method_not_allowed', {}, { headers: { Allow: allow.join(', ') } }));
  };
