import { funnelApiQuery } from './analytics-api.js';
import { limited, parameterSchema, problemResponse } from './openapi-parts.js';

/** A funnel step's fields in the document, as src/analytics/funnel.ts's FunnelStep has them. */
const FUNNEL_STEP = {
  step: { type: 'string' },
  reached: { type: 'integer', description: 'Runs that entered the step' },
  inProgress: {
    type: 'integer',
    description: 'Runs at the step now: entered, neither moved on nor ended',
  },
  completed: { type: 'integer', description: 'Runs that left it forward' },
  abandoned: { type: 'integer' },
  expired: { type: 'integer' },
  failed: { type: 'integer' },
  conversion: {
    type: ['number', 'null'],
    description: 'completed ÷ reached; null when no run reached it',
  },
  timeInStepMs: {
    type: 'object',
    required: ['median', 'p90'],
    properties: {
      median: { type: ['integer', 'null'] },
      p90: { type: ['integer', 'null'] },
    },
  },
  errors: {
    type: 'array',
    description: 'The most frequent refusal codes at the step, most frequent first',
    items: {
      type: 'object',
      required: ['code', 'count'],
      properties: { code: { type: 'string' }, count: { type: 'integer' } },
    },
  },
};

/** progressive-profiling@1's counts for one attribute and app (src/analytics/profiling-funnel.ts). */
export const PROFILING_QUESTION = {
  type: 'object',
  required: ['attribute', 'client_id', 'asked', 'answered', 'skipped', 'unanswered', 'answer_rate'],
  properties: {
    attribute: { type: 'string' },
    client_id: { type: 'string' },
    asked: { type: 'integer' },
    answered: { type: 'integer' },
    skipped: { type: 'integer' },
    unanswered: { type: 'integer', description: 'Asked, then neither answered nor skipped' },
    answer_rate: { type: 'number', description: 'answered ÷ asked; 0 when none was asked' },
  },
};

/** The funnel's query parameters, their schemas from the zod query the API parses. */
const funnelParameters: Record<keyof typeof funnelApiQuery.shape, string> = {
  version: 'One version (a positive whole number); every version side by side without it',
  from: 'Runs started at or after this instant (RFC 3339, with `Z` or an offset); 30 days before `to` without it',
  to: 'Runs started before this instant (RFC 3339, with `Z` or an offset); now without it',
  channel:
    "One app's runs: the `Parcours-Channel` they were started with (a short lower-case name; empty is refused)",
  format: '`csv` for a spreadsheet (as `Accept: text/csv` does)',
};

/**
 * The funnel API's part of the OpenAPI document (served where analytics are): its path, the
 * schemas of its answer and the operator key it takes.
 */
export function funnelOpenApi(journeyIds: readonly string[]) {
  return {
    paths: {
      '/v1/analytics/journeys/{journey}/funnel': {
        get: {
          operationId: 'journeyFunnel',
          summary:
            "A journey's funnel per version and step: reached, completed, abandoned, conversion, time in step, top refusals",
          description:
            'For the runs started in [`from`, `to`). When both are given, `from` must come before `to`: an empty or inverted window is refused (422).',
          security: [{ adminKey: [] }],
          parameters: [
            {
              name: 'journey',
              in: 'path',
              required: true,
              description: "The journey's name",
              schema: { type: 'string', enum: journeyIds },
            },
            ...(Object.keys(funnelParameters) as Array<keyof typeof funnelParameters>).map(
              (name) => ({
                name,
                in: 'query',
                required: false,
                description: funnelParameters[name],
                schema: parameterSchema(funnelApiQuery.shape[name]),
              }),
            ),
          ],
          responses: {
            200: {
              description: 'The funnel',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/FunnelReport' },
                },
                'text/csv': { schema: { type: 'string' } },
              },
            },
            401: problemResponse('No admin key, or not this one'),
            404: problemResponse('No journey by this name'),
            422: problemResponse(
              'A query parameter refused (`from` not before `to` included), with field errors in `errors`',
            ),
            ...limited,
          },
        },
      },
    },
    schemas: {
      FunnelReport: {
        type: 'object',
        required: ['journey', 'from', 'to', 'versions'],
        properties: {
          journey: { type: 'string' },
          channel: { type: 'string' },
          from: { type: 'string', format: 'date-time' },
          to: { type: 'string', format: 'date-time' },
          questions: {
            type: 'array',
            description:
              'progressive-profiling only: per attribute and app, questions asked in the window and what became of them',
            items: PROFILING_QUESTION,
          },
          versions: {
            type: 'array',
            items: {
              type: 'object',
              required: ['version', 'started', 'inProgress', 'outcomes', 'steps'],
              properties: {
                version: { type: 'integer' },
                started: { type: 'integer', description: 'Runs started in the window' },
                inProgress: {
                  type: 'integer',
                  description: 'Runs started in the window that have not ended',
                },
                outcomes: {
                  type: 'object',
                  required: ['completed', 'failed', 'abandoned', 'expired'],
                  properties: {
                    completed: { type: 'integer' },
                    failed: { type: 'integer' },
                    abandoned: { type: 'integer' },
                    expired: { type: 'integer' },
                  },
                },
                steps: {
                  type: 'array',
                  description: "In the version's own order",
                  items: { $ref: '#/components/schemas/FunnelStep' },
                },
              },
            },
          },
        },
      },
      // Every field of a step is always there: `required` is the properties' own names.
      FunnelStep: { type: 'object', required: Object.keys(FUNNEL_STEP), properties: FUNNEL_STEP },
    },
    securitySchemes: {
      adminKey: {
        type: 'http',
        scheme: 'bearer',
        description: "The operator's admin key (PARCOURS_ADMIN_KEY), for analytics",
      },
    },
  };
}
