import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { funnel, funnelCsv } from '../analytics/funnel.js';
import type { PrismaClient } from '../db/prisma.js';
import type { JourneyRegistry } from '../engine/registry.js';
import { fieldErrorsOf } from './field-errors.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { requireOperatorKey } from './operator-key.js';
import { HttpProblem } from './problem.js';

const DAY_MS = 24 * 3_600_000;

/** `?version=` (one, or all when absent), `?from=` and `?to=` (ISO 8601; the last 30 days). */
const funnelQuery = z
  .object({
    version: z
      .string()
      .regex(/^[1-9][0-9]{0,8}$/, 'A version is a positive whole number')
      .transform(Number)
      .optional(),
    from: z.iso
      .datetime({ offset: true })
      .transform((value) => new Date(value))
      .optional(),
    to: z.iso
      .datetime({ offset: true })
      .transform((value) => new Date(value))
      .optional(),
    channel: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'A channel is a short lower-case name')
      .optional(),
    format: z.enum(['json', 'csv']).optional(),
  })
  .refine((query) => !query.from || !query.to || query.from < query.to, {
    message: '`from` must come before `to`',
    path: ['from'],
  });

/**
 * Analytics for analysts: a journey's funnel (per version and step: reached, completed,
 * abandoned, conversion, time in step, top refusals) as JSON or CSV. Behind the operator's admin
 * key; in embedded mode, open to this machine.
 */
export function createAnalyticsApi(deps: {
  prisma: PrismaClient;
  registry: JourneyRegistry;
  adminKey?: string;
  now?: () => Date;
}): Router {
  const now = deps.now ?? (() => new Date());
  const router = Router();
  router.use(requireOperatorKey({ operatorKey: deps.adminKey, realm: 'parcours-analytics' }));
  router.get('/journeys/:journey/funnel', async (req: Request, res: Response) => {
    const journey = String(req.params.journey);
    const definitions = deps.registry.list().filter((definition) => definition.id === journey);
    if (!definitions.length) throw new HttpProblem('unknown_journey');
    const parsed = funnelQuery.safeParse(req.query);
    if (!parsed.success)
      throw new HttpProblem('invalid_input', {
        errors: fieldErrorsOf(parsed.error.issues).map((error) => ({ ...error, in: 'query' })),
      });
    const to = parsed.data.to ?? now();
    const from = parsed.data.from ?? new Date(to.getTime() - 30 * DAY_MS);
    // Steps in each version's own order, as its definition lists them.
    const stepOrder = Object.fromEntries(
      definitions.map((definition) => [
        definition.version,
        [...new Set(Object.values(definition.steps).map((step) => step.name))],
      ]),
    );
    const versions = await funnel(deps.prisma, {
      journey,
      ...(parsed.data.version ? { version: parsed.data.version } : {}),
      ...(parsed.data.channel ? { channel: parsed.data.channel } : {}),
      from,
      to,
      stepOrder,
    });
    const wantsCsv =
      parsed.data.format === 'csv' ||
      (parsed.data.format === undefined && req.accepts(['json', 'csv']) === 'csv');
    if (wantsCsv)
      return res
        .type('text/csv')
        .attachment(`${journey}-funnel.csv`)
        .send(funnelCsv(journey, versions));
    res.json({
      journey,
      ...(parsed.data.channel ? { channel: parsed.data.channel } : {}),
      from: from.toISOString(),
      to: to.toISOString(),
      versions,
    });
  });
  router.all('/journeys/:journey/funnel', methodNotAllowed('GET'));
  return router;
}
