import type { Response } from 'express';
import { z } from 'zod';
import { type FunnelVersion, funnel, funnelCsv } from '../analytics/funnel.js';
import { type ProfilingQuestionCounts, profilingFunnel } from '../analytics/profiling-funnel.js';
import type { PrismaClient } from '../db/prisma.js';
import type { JourneyDefinition } from '../journey-kit/define-journey.js';
import type { JourneyRegistry } from '../journey-registry/registry.js';
import { fieldErrorsOf } from './field-errors.js';
import type { FieldError } from './problem.js';
import { HttpProblem } from './problem.js';
import { channelName, versionParam } from './query-fields.js';

/** A window's bound as a query parameter gives it: a string in, an instant out. */
type Bound = z.ZodType<Date, string>;

/**
 * The funnel's query parameters, shared by the analytics API and the dashboard, which read the
 * window's bounds differently (instants; whole days): `?version=` (one, or all when absent),
 * `?channel=`, `?from=`, `?to=` and `?format=`.
 */
export function funnelQuery(bounds: { from: Bound; to: Bound }) {
  return z
    .object({
      version: versionParam().optional(),
      from: bounds.from.optional(),
      to: bounds.to.optional(),
      channel: channelName().optional(),
      format: z.enum(['json', 'csv']).optional(),
    })
    .refine((query) => !query.from || !query.to || query.from < query.to, {
      message: '`from` must come before `to`',
      path: ['from'],
    });
}

export type FunnelQuery = z.output<ReturnType<typeof funnelQuery>>;

/** A query string checked against a funnel query: its values, or field errors `in: 'query'`. */
export function parseFunnelQuery(
  schema: ReturnType<typeof funnelQuery>,
  query: unknown,
): { data: FunnelQuery; errors?: undefined } | { data?: undefined; errors: FieldError[] } {
  const parsed = schema.safeParse(query);
  if (parsed.success) return { data: parsed.data };
  return {
    errors: fieldErrorsOf(parsed.error.issues).map((error) => ({ ...error, in: 'query' })),
  };
}

/** Every version of a journey the registry holds; none at all is an unknown journey (404). */
export function journeyVersions(registry: JourneyRegistry, journey: string): JourneyDefinition[] {
  const definitions = registry.list().filter((definition) => definition.id === journey);
  if (!definitions.length) throw new HttpProblem('unknown_journey');
  return definitions;
}

/** A journey's funnel over a window, as the API answers it and the dashboard shows it. */
export interface FunnelReport {
  journey: string;
  channel?: string;
  from: Date;
  to: Date;
  versions: FunnelVersion[];
  /** progressive-profiling@1 only: per attribute and app, asked, answered, skipped. */
  questions?: ProfilingQuestionCounts[];
}

/** The journey whose funnel also counts its questions, attribute by attribute. */
const PROFILING_JOURNEY = 'progressive-profiling';

/** The funnel of a journey's runs started in [from, to), each version's steps in its own order. */
export async function funnelReport(
  prisma: PrismaClient,
  definitions: readonly JourneyDefinition[],
  query: { version?: number; channel?: string; from: Date; to: Date },
): Promise<FunnelReport> {
  const journey = definitions[0]?.id as string;
  // Steps in each version's own order, as its definition lists them.
  const stepOrder = Object.fromEntries(
    definitions.map((definition) => [
      definition.version,
      [...new Set(Object.values(definition.steps).map((step) => step.name))],
    ]),
  );
  const versions = await funnel(prisma, {
    journey,
    ...(query.version ? { version: query.version } : {}),
    ...(query.channel ? { channel: query.channel } : {}),
    from: query.from,
    to: query.to,
    stepOrder,
  });
  return {
    journey,
    ...(query.channel ? { channel: query.channel } : {}),
    from: query.from,
    to: query.to,
    versions,
    ...(journey === PROFILING_JOURNEY
      ? { questions: await profilingFunnel(prisma, { from: query.from, to: query.to }) }
      : {}),
  };
}

/** The report as a spreadsheet download: `<journey>-funnel.csv`. */
export function sendFunnelCsv(res: Response, report: FunnelReport): void {
  res
    .type('text/csv')
    .attachment(`${report.journey}-funnel.csv`)
    .send(funnelCsv(report.journey, report.versions));
}
