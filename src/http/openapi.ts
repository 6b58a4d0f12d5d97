import { z } from 'zod';
import { journeyKey } from '../engine/define-journey.js';
import type { JourneyRegistry } from '../engine/registry.js';
import { createStepSchemas } from './public-view.js';

const problem = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problem } },
});

// Every route is behind the Host allow-list (host-allow-list.ts): any of them may answer its refusals.
const hostRefusals = {
  400: problemResponse('The Host header is missing, repeated or malformed'),
  421: problemResponse('The Host names no address this API is published under'),
};

/** Each operation's answers with the Host refusals added (an operation's own 400 is kept). */
function withHostRefusals<Paths extends Record<string, Record<string, { responses: object }>>>(
  paths: Paths,
): Paths {
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => [
      path,
      Object.fromEntries(
        Object.entries(operations).map(([method, operation]) => [
          method,
          { ...operation, responses: { ...hostRefusals, ...operation.responses } },
        ]),
      ),
    ]),
  ) as Paths;
}

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
  const idParam = {
    name: 'id',
    in: 'path',
    required: true,
    description: 'The journey id (`jrn_…`) from the start answer',
    schema: { type: 'string' },
  };
  const view = {
    description: 'The journey view',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/JourneyView' } } },
  };
  // Every answer under /v1 may be a 429 from the per-client limits; a POST body may be unreadable,
  // too large or not JSON before any journey sees it.
  const limited = {
    429: {
      ...problemResponse('Too many requests from this client, or too soon for this step'),
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before trying again (RFC 9110 §10.2.3)',
          schema: { type: 'integer', minimum: 1 },
        },
      },
    },
  };
  const bodyRefusals = {
    400: problemResponse(
      'The body is not valid JSON, its encoding is corrupt, or the path is not decodable',
    ),
    413: problemResponse('The body is over 16 KiB (inflated size, for a compressed body)'),
    415: problemResponse('The body is not `application/json`'),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parcours step API',
      version: '1',
      description: 'Start identity journeys and advance them one step at a time.',
    },
    // Relative: the API is described wherever it serves this document.
    servers: [{ url: '/', description: 'The API that serves this document' }],
    paths: withHostRefusals({
      '/v1/journeys': {
        get: {
          operationId: 'listJourneys',
          summary: 'List journey definitions and versions',
          security: [],
          responses: {
            200: {
              description: 'Every journey version and its steps, the newest marked `latest`',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/JourneyList' } },
              },
            },
            ...limited,
          },
        },
      },
      '/v1/journeys/{journey}/start': {
        post: {
          operationId: 'startJourney',
          summary: 'Start a journey (latest version unless ?version=)',
          parameters: [
            {
              name: 'journey',
              in: 'path',
              required: true,
              description: "The journey's name, as `GET /v1/journeys` lists it",
              schema: { type: 'string', enum: [...new Set(registry.list().map((d) => d.id))] },
            },
            {
              name: 'version',
              in: 'query',
              required: false,
              description: 'Pin a version (a positive whole number); the latest without it',
              schema: { type: 'integer', minimum: 1 },
            },
            {
              name: 'Parcours-Channel',
              in: 'header',
              required: false,
              description:
                'The app starting the run (a short lower-case name; `default` without it), recorded with its journey events for funnels per app',
              schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' },
            },
          ],
          description: `The body is the journey's start input (components.schemas \`<journey>.v<N>.start\`). Journeys that act on a signed-in customer (${fromSession.join(', ') || 'none yet'}) are started with the session token as a bearer token.`,
          security: [{}, { sessionBearer: [] }],
          requestBody: {
            required: false,
            content: {
              'application/json': {
                schema: {
                  anyOf: Object.keys(startSchemas).map((name) => ({
                    $ref: `#/components/schemas/${name}`,
                  })),
                },
              },
            },
          },
          responses: {
            201: {
              ...view,
              description: 'Started: the first view, with the journey token (shown only here)',
              headers: {
                Location: {
                  description: 'The journey: `/v1/journeys/{id}`',
                  schema: { type: 'string' },
                },
              },
            },
            ...bodyRefusals,
            401: problemResponse('The journey needs a session, and none valid was given'),
            403: problemResponse(
              'The session misses what the journey demands (`requirement`: `max_age` or `aal`)',
            ),
            404: problemResponse('No journey by this name, or not in this version'),
            422: problemResponse(
              'Start input or `version` refused, with field errors in `errors` (JSON pointers)',
            ),
            ...limited,
          },
        },
      },
      '/v1/journeys/{id}': {
        get: {
          operationId: 'getJourney',
          summary: 'The current view of a journey',
          description:
            'Past its lifetime, a journey answers `{ status: "expired", restart: { method, href } }`, naming a fresh start.',
          parameters: [idParam],
          security: [{ journeyToken: [] }],
          responses: {
            200: view,
            400: problemResponse('The path is not decodable'),
            404: problemResponse('No journey with this id, or a wrong or missing token'),
            ...limited,
          },
        },
      },
      '/v1/journeys/{id}/steps/{step}': {
        post: {
          operationId: 'submitStep',
          summary: 'Submit the current step',
          description:
            'The body is the step input; its JSON Schema is in the view (`step.schema`) and under components.schemas (`<journey>.v<N>.<step>`). The step is checked first: a step the journey is not at answers 409 whatever the body.',
          parameters: [
            idParam,
            {
              name: 'step',
              in: 'path',
              required: true,
              description: "The current step's name (`step.name` in the view)",
              schema: { type: 'string' },
            },
          ],
          security: [{ journeyToken: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  anyOf: Object.keys(stepSchemas).map((name) => ({
                    $ref: `#/components/schemas/${name}`,
                  })),
                },
              },
            },
          },
          responses: {
            200: view,
            ...bodyRefusals,
            404: problemResponse(
              'No journey with this id, a wrong or missing token, or no such step',
            ),
            409: problemResponse(
              'Not the current step, still working on the last submission, or the journey has ended (the current view is in `view`)',
            ),
            410: problemResponse(
              'The journey is past its lifetime (`journey_expired`; the expired view in `view`, a fresh start in `restart`)',
            ),
            422: problemResponse(
              'Invalid input, or refused by the journey (a wrong code), with field errors in `errors` (JSON pointers)',
            ),
            ...limited,
          },
        },
      },
      '/v1/sessions/whoami': {
        get: {
          operationId: 'whoami',
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
            ...limited,
          },
        },
      },
      '/v1/sessions/factors': {
        get: {
          operationId: 'listFactors',
          summary: "The account's second factors: what and since when, never a secret",
          security: [{ sessionBearer: [] }],
          responses: {
            200: {
              description: 'TOTP and passkeys one by one; recovery codes as how many are left',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['factors'],
                    properties: {
                      factors: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['type', 'enrolled_at'],
                          properties: {
                            id: { type: 'string' },
                            type: { enum: ['totp', 'webauthn', 'recovery_code'] },
                            enrolled_at: { type: 'string', format: 'date-time' },
                            last_used_at: { type: 'string', format: 'date-time' },
                            suspended_at: { type: 'string', format: 'date-time' },
                            remaining: { type: 'integer' },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            401: problemResponse('No valid session'),
            ...limited,
          },
        },
      },
      '/v1/sessions/current': {
        delete: {
          operationId: 'logout',
          summary: 'Log out: the session token stops working at once',
          security: [{ sessionBearer: [] }],
          responses: {
            204: { description: 'Logged out' },
            401: problemResponse('No valid session'),
            ...limited,
          },
        },
      },
      '/v1/analytics/journeys/{journey}/funnel': {
        get: {
          operationId: 'journeyFunnel',
          summary:
            "A journey's funnel per version and step: reached, completed, abandoned, conversion, time in step, top refusals",
          security: [{ adminKey: [] }],
          parameters: [
            {
              name: 'journey',
              in: 'path',
              required: true,
              description: "The journey's name",
              schema: { type: 'string' },
            },
            {
              name: 'version',
              in: 'query',
              required: false,
              description: 'One version; every version side by side without it',
              schema: { type: 'integer', minimum: 1 },
            },
            {
              name: 'from',
              in: 'query',
              required: false,
              description: 'Runs started at or after (ISO 8601); 30 days before `to` without it',
              schema: { type: 'string', format: 'date-time' },
            },
            {
              name: 'to',
              in: 'query',
              required: false,
              description: 'Runs started before (ISO 8601); now without it',
              schema: { type: 'string', format: 'date-time' },
            },
            {
              name: 'channel',
              in: 'query',
              required: false,
              description: "One app's runs (the `Parcours-Channel` they were started with)",
              schema: { type: 'string' },
            },
            {
              name: 'format',
              in: 'query',
              required: false,
              description: '`csv` for a spreadsheet (as `Accept: text/csv` does)',
              schema: { enum: ['json', 'csv'] },
            },
          ],
          responses: {
            200: {
              description: 'The funnel',
              content: {
                'application/json': { schema: { type: 'object' } },
                'text/csv': { schema: { type: 'string' } },
              },
            },
            401: problemResponse('No admin key, or not this one'),
            404: problemResponse('No journey by this name'),
            422: problemResponse('A query parameter refused, with field errors in `errors`'),
            ...limited,
          },
        },
      },
      '/problems/{code}': {
        get: {
          operationId: 'explainProblem',
          summary: "The page a problem's `type` leads to: what the error means and what to do",
          security: [],
          parameters: [
            {
              name: 'code',
              in: 'path',
              required: true,
              description: 'The error code, with `-` for `_` (`invalid-code`)',
              schema: { type: 'string' },
            },
          ],
          responses: {
            200: {
              description: 'The explanation: HTML, or JSON when asked for (`Accept`)',
              content: {
                'text/html': { schema: { type: 'string' } },
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      code: { type: 'string' },
                      status: { type: 'integer' },
                      reason: { type: 'string' },
                      message: { type: 'string' },
                      shown: { type: 'boolean' },
                      whatToDo: { type: 'string' },
                    },
                  },
                },
              },
            },
            404: problemResponse('No such error code'),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'liveness',
          summary: 'Process is alive',
          security: [],
          responses: {
            200: { description: 'ok' },
            405: problemResponse('Any method but GET (`Allow` names it)'),
          },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readiness',
          summary: 'Database and Temporal are reachable',
          security: [],
          responses: {
            200: { description: 'ready' },
            405: problemResponse('Any method but GET (`Allow` names it)'),
            503: problemResponse('Not ready'),
          },
        },
      },
    }),
    components: {
      securitySchemes: {
        journeyToken: {
          type: 'apiKey',
          in: 'header',
          name: 'Journey-Token',
          description:
            'The `token` of the start answer: it names the journey and proves the caller started it',
        },
        adminKey: {
          type: 'http',
          scheme: 'bearer',
          description: "The operator's admin key (PARCOURS_ADMIN_KEY), for analytics",
        },
        sessionBearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A session token, as a completed journey returns it (RFC 6750)',
        },
      },
      schemas: {
        ...stepSchemas,
        ...startSchemas,
        JourneyList: {
          type: 'object',
          required: ['journeys'],
          properties: {
            journeys: {
              type: 'array',
              items: {
                type: 'object',
                required: ['journey', 'version', 'title', 'latest', 'steps'],
                properties: {
                  journey: { type: 'string' },
                  version: { type: 'integer' },
                  title: { type: 'string' },
                  latest: { type: 'boolean' },
                  steps: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
        },
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
            restart: {
              type: 'object',
              description: 'On an expired journey: where a fresh one starts',
              properties: { method: { type: 'string' }, href: { type: 'string' } },
            },
          },
        },
      },
    },
  };
}
