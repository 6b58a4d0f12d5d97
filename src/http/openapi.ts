import type { JourneyRegistry } from '../engine/registry.js';
import { createStepSchemas } from './public-view.js';

const problem = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problem } },
});

/** The OpenAPI 3.1 document of the step API, with every step's input schema from its zod schema. */
export function buildOpenApi(registry: JourneyRegistry) {
  const schemaOf = createStepSchemas(registry);
  const stepSchemas: Record<string, unknown> = {};
  for (const definition of registry.list()) {
    for (const step of new Set(Object.values(definition.steps))) {
      stepSchemas[`${definition.id}.v${definition.version}.${step.name}`] = schemaOf(step);
    }
  }
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const tokenHeader = {
    name: 'Journey-Token',
    in: 'header',
    required: true,
    schema: { type: 'string' },
    description: 'The token returned once when the journey started',
  };
  const view = {
    description: 'The journey view',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/JourneyView' } } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parcours step API',
      version: '1',
      description: 'Start identity journeys and advance them one step at a time.',
    },
    paths: {
      '/v1/journeys': {
        get: {
          summary: 'List journey definitions and versions',
          responses: { 200: { description: 'Definitions' } },
        },
      },
      '/v1/journeys/{journey}': {
        post: {
          summary: 'Start a journey (latest version unless ?version=)',
          parameters: [
            {
              name: 'journey',
              in: 'path',
              required: true,
              schema: { type: 'string', enum: [...new Set(registry.list().map((d) => d.id))] },
            },
            { name: 'version', in: 'query', required: false, schema: { type: 'integer' } },
          ],
          responses: {
            201: { ...view, description: 'Started: the first view, with the journey token' },
            404: problemResponse('Unknown journey'),
            422: problemResponse('Unexpected input'),
          },
        },
      },
      '/v1/journeys/{id}': {
        get: {
          summary: 'The current view of a journey',
          parameters: [idParam, tokenHeader],
          responses: { 200: view, 404: problemResponse('Unknown journey or wrong token') },
        },
      },
      '/v1/journeys/{id}/steps/{step}': {
        post: {
          summary: 'Submit the current step',
          description:
            'The body is the step input; its JSON Schema is in the view (`step.schema`) and under components.schemas.',
          parameters: [
            idParam,
            tokenHeader,
            { name: 'step', in: 'path', required: true, schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: Object.keys(stepSchemas).map((name) => ({
                    $ref: `#/components/schemas/${name}`,
                  })),
                },
              },
            },
          },
          responses: {
            200: view,
            404: problemResponse('Unknown journey, wrong token or unknown step'),
            409: problemResponse(
              'Not the current step, or the journey has ended (the current view is in `view`)',
            ),
            413: problemResponse('Body too large'),
            422: problemResponse('Invalid input, with field errors in `errors` (JSON pointers)'),
            429: problemResponse(
              'Too soon (for example, asking for a new code during the cooldown)',
            ),
          },
        },
      },
      '/healthz': {
        get: { summary: 'Process is alive', responses: { 200: { description: 'ok' } } },
      },
      '/readyz': {
        get: {
          summary: 'Database and Temporal are reachable',
          responses: { 200: { description: 'ready' }, 503: problemResponse('Not ready') },
        },
      },
    },
    components: {
      schemas: {
        ...stepSchemas,
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string', description: 'Stable error code' },
            detail: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  path: { type: 'string', description: 'JSON pointer' },
                  code: { type: 'string' },
                  message: { type: 'string' },
                },
              },
            },
            view: { $ref: '#/components/schemas/JourneyView' },
          },
        },
        JourneyView: {
          type: 'object',
          required: ['id', 'journey', 'version', 'status'],
          properties: {
            id: { type: 'string' },
            journey: { type: 'string' },
            version: { type: 'integer' },
            status: { enum: ['active', 'completed', 'failed', 'abandoned', 'expired'] },
            step: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                schema: { type: 'object' },
                data: { type: 'object' },
                error: { type: 'object' },
              },
            },
            result: { type: 'object' },
            error: {
              type: 'object',
              properties: { code: { type: 'string' }, message: { type: 'string' } },
            },
            token: {
              type: 'string',
              description: 'Only in the start response: send it back as Journey-Token',
            },
          },
        },
      },
    },
  };
}
