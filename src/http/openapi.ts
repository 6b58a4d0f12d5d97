import { z } from 'zod';
import { journeyKey } from '../engine/define-journey.js';
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
  const startSchemas: Record<string, unknown> = {};
  for (const definition of registry.list()) {
    startSchemas[`${definition.id}.v${definition.version}.start`] = z.toJSONSchema(
      definition.start?.input ?? z.strictObject({}),
      {
        io: 'input',
        unrepresentable: 'any',
        // Which fields the allow-list checks is the engine's business; apps see a URI.
        override: ({ jsonSchema }) => {
          const schema = jsonSchema as Record<string, unknown>;
          if (!schema['x-parcours-return-to']) return;
          delete schema['x-parcours-return-to'];
          schema.format = 'uri';
        },
      },
    );
  }
  const fromSession = registry
    .list()
    .filter((definition) => definition.start?.session)
    .map((definition) => `\`${journeyKey(definition.id, definition.version)}\``);
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
          description: `The body is the journey's start input (components.schemas \`<journey>.v<N>.start\`). Journeys that act on a signed-in customer (${fromSession.join(', ') || 'none yet'}) are started with the session token as a bearer token.`,
          security: [{}, { sessionBearer: [] }],
          requestBody: {
            required: false,
            content: {
              'application/json': {
                schema: {
                  oneOf: Object.keys(startSchemas).map((name) => ({
                    $ref: `#/components/schemas/${name}`,
                  })),
                },
              },
            },
          },
          responses: {
            201: { ...view, description: 'Started: the first view, with the journey token' },
            401: problemResponse('The journey needs a session, and none valid was given'),
            403: problemResponse(
              'The session misses what the journey demands (`requirement`: `max_age` or `aal`)',
            ),
            404: problemResponse('Unknown journey'),
            422: problemResponse('Start input refused, with field errors in `errors`'),
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
      '/v1/sessions/whoami': {
        get: {
          summary: 'Who is signed in: the identity and what the session proves',
          security: [{ sessionBearer: [] }],
          responses: {
            200: {
              description: 'The session and its identity',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/Whoami' } },
              },
            },
            401: problemResponse('No valid session'),
          },
        },
      },
      '/v1/sessions/current': {
        delete: {
          summary: 'Log out: the session token stops working at once',
          security: [{ sessionBearer: [] }],
          responses: {
            204: { description: 'Logged out' },
            401: problemResponse('No valid session'),
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
      securitySchemes: {
        sessionBearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A session token, as a completed journey returns it (RFC 6750)',
        },
      },
      schemas: {
        ...stepSchemas,
        ...startSchemas,
        Whoami: {
          type: 'object',
          required: ['session', 'identity'],
          properties: {
            session: {
              type: 'object',
              required: ['id', 'aal', 'amr', 'auth_time', 'factors', 'expires_at'],
              properties: {
                id: { type: 'string' },
                aal: { type: 'integer' },
                amr: { type: 'array', items: { type: 'string' }, description: 'RFC 8176' },
                auth_time: { type: 'string', format: 'date-time' },
                factors: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      amr: { type: 'string' },
                      auth_time: { type: 'string', format: 'date-time' },
                    },
                  },
                },
                expires_at: { type: 'string', format: 'date-time' },
              },
            },
            identity: {
              type: 'object',
              required: ['id'],
              properties: { id: { type: 'string' }, email: { type: 'string' } },
            },
          },
        },
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: {
              type: 'string',
              description: 'Stable error code (README: the error catalogue)',
            },
            shown: {
              type: 'boolean',
              description: 'Whether the title may be shown to the customer as it is',
            },
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
            result: {
              type: 'object',
              description:
                'On completion: `{ type: "session" | "session_raised" | "login" | "none", ... }`',
              properties: {
                type: { enum: ['session', 'session_raised', 'login', 'none'] },
              },
            },
            return_to: {
              type: 'string',
              description: "On completion: the start's allow-listed return address",
            },
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
