import { type ErrorCode, errorCatalogue } from '../errors/catalogue.js';
import type { JourneyRegistry } from '../journey-registry/registry.js';
import { consentAdminOpenApi, consentOpenApi } from './openapi-consent.js';
import { funnelOpenApi } from './openapi-funnel.js';
import { journeysOpenApi } from './openapi-journeys.js';
import { linksOpenApi } from './openapi-links.js';
import { oidcAdminOpenApi, oidcOpenApi } from './openapi-oidc.js';
import { journeyIdParameter, limited, problemResponse, viewResponse } from './openapi-parts.js';
import { adminOpenApi, profileOpenApi } from './openapi-profile.js';
import { problemSlug } from './problem.js';
import { createStartSchemas } from './start-schemas.js';

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

/**
 * The OpenAPI 3.1 document of the step API, with every step's input schema from its zod schema,
 * each journey's start, per version, with the start body that version takes, and the funnel
 * where analytics are served.
 */
export function buildOpenApi(
  registry: JourneyRegistry,
  options: { returnToAllowed: readonly string[]; analytics: boolean },
) {
  const journeyIds = [...new Set(registry.list().map((definition) => definition.id))];
  const journeys = journeysOpenApi(registry, createStartSchemas(options.returnToAllowed));
  const funnel = options.analytics ? funnelOpenApi(journeyIds) : undefined;
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
              description:
                'Every journey version, its steps and its start (where, and the JSON Schema of its body), the newest marked `latest`',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/JourneyList' } },
              },
            },
            ...limited,
          },
        },
      },
      ...journeys.paths,
      '/v1/journeys/{id}': {
        get: {
          operationId: 'getJourney',
          summary: 'The current view of a journey',
          description:
            'Past its lifetime, a journey answers `{ status: "expired", restart: { method, href } }`, naming a fresh start.',
          parameters: [journeyIdParameter],
          security: [{ journeyToken: [] }],
          responses: {
            200: viewResponse,
            400: problemResponse('The path is not decodable'),
            404: problemResponse('No journey with this id, or a wrong or missing token'),
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
                            type: { enum: ['totp', 'webauthn', 'sms', 'recovery_code'] },
                            enrolled_at: { type: 'string', format: 'date-time' },
                            last_used_at: { type: 'string', format: 'date-time' },
                            suspended_at: { type: 'string', format: 'date-time' },
                            phone: { type: 'string', description: 'A phone, masked (+33••••78)' },
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
      ...linksOpenApi,
      ...profileOpenApi.paths,
      ...consentOpenApi,
      ...funnel?.paths,
      ...(funnel ? adminOpenApi.paths : {}),
      ...(funnel ? consentAdminOpenApi : {}),
      ...oidcOpenApi,
      ...(funnel ? oidcAdminOpenApi : {}),
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
              schema: {
                type: 'string',
                enum: (Object.keys(errorCatalogue) as ErrorCode[]).map(problemSlug),
              },
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
        ...funnel?.securitySchemes,
        ...profileOpenApi.securitySchemes,
        sessionBearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A session token, as a completed journey returns it (RFC 6750)',
        },
      },
      schemas: {
        ...journeys.schemas,
        JourneyList: {
          type: 'object',
          required: ['journeys'],
          properties: {
            journeys: {
              type: 'array',
              items: {
                type: 'object',
                required: ['journey', 'version', 'title', 'latest', 'steps', 'start'],
                properties: {
                  journey: { type: 'string' },
                  version: { type: 'integer' },
                  title: { type: 'string' },
                  latest: { type: 'boolean' },
                  steps: { type: 'array', items: { type: 'string' } },
                  start: {
                    type: 'object',
                    description: 'How to start a run of this very version, and the body it takes',
                    required: ['method', 'href', 'schema'],
                    properties: {
                      method: { const: 'POST' },
                      href: {
                        type: 'string',
                        description: '`/v1/journeys/{journey}@{version}/start`',
                      },
                      schema: {
                        type: 'object',
                        description:
                          'The JSON Schema of the start body (as components.schemas `<journey>.v<N>.start`)',
                      },
                    },
                  },
                },
              },
            },
          },
        },
        ...funnel?.schemas,
        ...profileOpenApi.schemas,
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
              description: 'Stable error code (docs/step-api.md: the error catalogue)',
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
                'On completion: `{ type: "session" | "session_raised" | "login" | "none" | "scheduled", ... }`',
              properties: {
                type: { enum: ['session', 'session_raised', 'login', 'none', 'scheduled'] },
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
