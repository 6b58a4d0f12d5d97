import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { requesterNetwork } from './network-addresses.js';
import { HttpProblem } from './problem.js';

/**
 * Per client IP, a ceiling on step API writes (starts and submissions) so no one can flood
 * Temporal with runs or spray submissions across journeys (ASVS 2.2.1, 11.1.4), and a looser one
 * on reads (views, whoami), which query Temporal or the database too. Counted in this process's
 * memory: each API instance limits on its own. A client is its network (an IPv4 address, an IPv6
 * /56) as every per-requester limit counts it, from Express's `req.ip`, which trusts only the
 * proxies TRUST_PROXY names.
 */
export function stepApiRateLimit(limits: { writesPerMinute: number; readsPerMinute: number }) {
  const limiter = (limit: number, reads: boolean): RequestHandler =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      skip: (req) => (req.method === 'GET' || req.method === 'HEAD') !== reads,
      // requesterNetwork is ipKeyGenerator at an explicit /56 (the library's check reads this
      // function's source for `req.ip`, hence the destructuring).
      keyGenerator: ({ ip }) => requesterNetwork(ip ?? ''),
      handler: (_req, _res, next) =>
        next(
          new HttpProblem(
            'rate_limited',
            {},
            { title: 'Too many requests from this client: slow down' },
          ),
        ),
    });
  return [limiter(limits.writesPerMinute, false), limiter(limits.readsPerMinute, true)];
}
