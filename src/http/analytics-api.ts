import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { profilingFunnel } from '../analytics/profiling-funnel.js';
import { clientId } from '../apps/client-id.js';
import type { PrismaClient } from '../db/prisma.js';
import type { JourneyRegistry } from '../journey-registry/registry.js';
import { fieldErrorsOf } from './field-errors.js';
import {
  funnelQuery,
  funnelReport,
  journeyVersions,
  parseFunnelQuery,
  sendFunnelCsv,
} from './funnel-report.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { requireOperatorKey } from './operator-key.js';
import { HttpProblem } from './problem.js';

const DAY_MS = 24 * 3_600_000;

const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

/** `?from=` and `?to=` are ISO 8601 instants (the last 30 days when absent); openapi-funnel.ts publishes it. */
export const funnelApiQuery = funnelQuery({ from: instant, to: instant });

/** progressive-profiling@1's questions: a window and, optionally, one app. */
export const profilingQuery = z.strictObject({
  from: instant.optional(),
  to: instant.optional(),
  client_id: clientId().optional(),
});

/**
 * Analytics for analysts: a journey's funnel (per version and step: reached, completed,
 * abandoned, conversion, time in step, top refusals) as JSON or CSV. Behind the operator's admin
 * key, in embedded mode too (the generated operator key).
 */
export function createAnalyticsApi(deps: {
  prisma: PrismaClient;
  registry: JourneyRegistry;
  adminKey: string;
  now?: () => Date;
}): Router {
  const now = deps.now ?? (() => new Date());
  const router = Router();
  router.use(requireOperatorKey({ operatorKey: deps.adminKey, realm: 'parcours-analytics' }));
  router.get('/journeys/:journey/funnel', async (req: Request, res: Response) => {
    const definitions = journeyVersions(deps.registry, String(req.params.journey));
    const { data: query, errors } = parseFunnelQuery(funnelApiQuery, req.query);
    if (!query) throw new HttpProblem('invalid_input', { errors });
    const to = query.to ?? now();
    const from = query.from ?? new Date(to.getTime() - 30 * DAY_MS);
    const report = await funnelReport(deps.prisma, definitions, { ...query, from, to });
    const wantsCsv =
      query.format === 'csv' ||
      (query.format === undefined && req.accepts(['json', 'csv']) === 'csv');
    if (wantsCsv) return sendFunnelCsv(res, report);
    res.json(report);
  });
  /** progressive-profiling@1 per attribute: asked, answered, skipped (and left unanswered). */
  router.get('/profiling/questions', async (req: Request, res: Response) => {
    const parsed = profilingQuery.safeParse(req.query);
    if (!parsed.success)
      throw new HttpProblem('invalid_input', {
        errors: fieldErrorsOf(parsed.error.issues).map((error) => ({ ...error, in: 'query' })),
      });
    const to = parsed.data.to ?? now();
    const from = parsed.data.from ?? new Date(to.getTime() - 30 * DAY_MS);
    const questions = await profilingFunnel(deps.prisma, {
      from,
      to,
      ...(parsed.data.client_id ? { clientId: parsed.data.client_id } : {}),
    });
    res.json({ from: from.toISOString(), to: to.toISOString(), questions });
  });
  router.all('/journeys/:journey/funnel', methodNotAllowed('GET'));
  router.all('/profiling/questions', methodNotAllowed('GET'));
  return router;
}
