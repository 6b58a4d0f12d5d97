import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { HttpProblem } from './problem.js';

/**
 * Per client IP, a ceiling on step API writes (starts and submissions) so no one can flood
 * Temporal with runs or spray submissions across journeys (ASVS 2.2.1, 11.1.4). Counted in this
 * process's memory: each API instance limits on its own.
 */
export function stepApiRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req) => req.method !== 'POST',
    handler: (_req, _res, next) =>
      next(
        new HttpProblem(
          'rate_limited',
          {},
          { title: 'Too many requests from this client: slow down' },
        ),
      ),
  });
}
