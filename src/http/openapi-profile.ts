import { z } from 'zod';
import { appChange, appInput } from '../apps/app-registry.js';
import { attributeDefinitionInput } from '../profile/attribute-catalogue.js';
import { profilingQuery } from './analytics-api.js';
import { PROFILING_QUESTION } from './openapi-funnel.js';
import {
  bodyRefusals,
  limited,
  parameterSchema,
  problemResponse,
  viewResponse,
} from './openapi-parts.js';

const json = (schema: unknown, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const bodyOf = (schema: z.ZodType) => {
  const { $schema: _, ...body } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return body;
};

const PROFILE = { $ref: '#/components/schemas/Profile' };
const OBJECT_BODY = {
  required: true,
  content: {
    'application/json': { schema: { type: 'object' } },
    'application/merge-patch+json': { schema: { type: 'object' } },
  },
};
const noSession = problemResponse('No valid session');
const refusedPatch = {
  403: problemResponse(
    "`attribute_not_writable` (each attribute at its path), or a sensitive change without a recent sign-in at the account's highest level (`reauthentication_required` / `stronger_authentication_required`, with `step_up`)",
  ),
  422: problemResponse(
    '`invalid_input`: each refused attribute at its JSON pointer, with its code',
  ),
};
const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const started = {
  201: {
    ...viewResponse,
    description: 'The journey started, as `POST /v1/journeys/{journey}/start` answers',
  },
};
const stepUpNeeded = problemResponse(
  'The session is not recent or strong enough: `step_up` names where to raise it',
);
const sessionItem = {
  type: 'object',
  required: [
    'id',
    'current',
    'aal',
    'amr',
    'auth_time',
    'created_at',
    'last_seen_at',
    'expires_at',
  ],
  properties: {
    id: { type: 'string' },
    current: { type: 'boolean', description: 'The session making this request' },
    device: { type: 'string', description: 'The User-Agent its token was handed to' },
    client_id: { type: 'string', description: 'The app signed in through' },
    aal: { type: 'integer' },
    amr: { type: 'array', items: { type: 'string' } },
    auth_time: { type: 'string', format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
    last_seen_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
  },
};
const userParameter = pathParameter('user', "The customer's id (`sub`)");
const appRefusals = {
  401: problemResponse('`client_authentication_failed`: no, or wrong, client credentials'),
  404: problemResponse('`user_not_found`: no such customer, or one this app may not reach'),
};

/** Self-service (`/v1/me`) and the app API (`/v1/apps/me`): one profile, read the same by both. */
export const profileOpenApi = {
  paths: {
    '/v1/me': {
      get: {
        operationId: 'readMyProfile',
        summary: "The signed-in customer's profile: `sub` and each attribute with a value",
        security: [{ sessionBearer: [] }],
        responses: { 200: json(PROFILE, 'The profile'), 401: noSession, ...limited },
      },
      patch: {
        operationId: 'updateMyProfile',
        summary: 'Change the profile (RFC 7396 merge patch: `null` removes an attribute)',
        description:
          "Nothing of a refused patch is kept. Email, phone and address need a sign-in in the last 15 minutes at the account's highest level.",
        security: [{ sessionBearer: [] }],
        requestBody: OBJECT_BODY,
        responses: {
          200: json(PROFILE, 'The profile after the change'),
          401: noSession,
          ...refusedPatch,
          ...bodyRefusals,
          ...limited,
        },
      },
    },
    '/v1/me/sessions': {
      get: {
        operationId: 'listMySessions',
        summary: "The customer's live sessions: device, created, last seen, which is this one",
        security: [{ sessionBearer: [] }],
        responses: {
          200: json(
            {
              type: 'object',
              required: ['sessions'],
              properties: { sessions: { type: 'array', items: sessionItem } },
            },
            'Newest first',
          ),
          401: noSession,
          ...limited,
        },
      },
      delete: {
        operationId: 'revokeMyOtherSessions',
        summary: 'Log out every other session of the customer; this one stays',
        security: [{ sessionBearer: [] }],
        responses: {
          200: json(
            { type: 'object', required: ['revoked'], properties: { revoked: { type: 'integer' } } },
            'How many sessions ended',
          ),
          401: noSession,
          ...limited,
        },
      },
    },
    '/v1/me/sessions/{id}': {
      delete: {
        operationId: 'revokeMySession',
        summary: "Log out one of the customer's sessions: its token stops working at once",
        security: [{ sessionBearer: [] }],
        parameters: [pathParameter('id', 'A session id from the list')],
        responses: {
          204: { description: 'Logged out' },
          401: noSession,
          404: problemResponse('`session_not_found`: no live session of this customer'),
          ...limited,
        },
      },
    },
    '/v1/me/factors': {
      get: {
        operationId: 'listMyFactors',
        summary: "The account's second factors, never a secret (as `/v1/sessions/factors`)",
        security: [{ sessionBearer: [] }],
        responses: {
          200: json(
            { type: 'object', required: ['factors'], properties: { factors: { type: 'array' } } },
            'The factors',
          ),
          401: noSession,
          ...limited,
        },
      },
    },
    '/v1/me/factors/{id}': {
      delete: {
        operationId: 'removeMyFactor',
        summary: 'Remove a factor: starts factor-removal@1 (aal 2, a recent sign-in)',
        security: [{ sessionBearer: [] }],
        parameters: [pathParameter('id', 'A factor id, or `recovery_code` for the whole set')],
        responses: {
          ...started,
          401: noSession,
          403: stepUpNeeded,
          422: problemResponse('`invalid_input`: not a factor id'),
          ...limited,
        },
      },
    },
    '/v1/me/email': {
      post: {
        operationId: 'changeMyEmail',
        summary: 'Change the email address: starts email-change@1 (its start body)',
        security: [{ sessionBearer: [] }],
        responses: {
          ...started,
          401: noSession,
          403: stepUpNeeded,
          422: problemResponse('`invalid_input`: the start body'),
          ...bodyRefusals,
          ...limited,
        },
      },
    },
    '/v1/me/phone': {
      post: {
        operationId: 'changeMyPhone',
        summary: 'Change and verify the phone number by a texted code: starts phone-change@1',
        security: [{ sessionBearer: [] }],
        responses: {
          ...started,
          401: noSession,
          403: stepUpNeeded,
          422: problemResponse('`invalid_input`: the start body'),
          ...bodyRefusals,
          ...limited,
        },
      },
    },
    '/v1/apps/me/users/{user}/profile': {
      get: {
        operationId: 'appReadsProfile',
        summary: "A customer's profile as the catalogue lets this app read it",
        security: [{ clientBasic: [] }],
        parameters: [userParameter],
        responses: { 200: json(PROFILE, 'The profile'), ...appRefusals, ...limited },
      },
      patch: {
        operationId: 'appUpdatesProfile',
        summary: 'Change what the catalogue lets this app write (merge patch)',
        security: [{ clientBasic: [] }],
        parameters: [userParameter],
        requestBody: OBJECT_BODY,
        responses: {
          200: json(PROFILE, 'The profile after the change'),
          ...appRefusals,
          ...refusedPatch,
          ...bodyRefusals,
          ...limited,
        },
      },
    },
    ...Object.fromEntries(
      [
        ['/v1/apps/me/users/{user}/data', []],
        [
          '/v1/apps/me/users/{user}/data/{namespace}',
          [pathParameter('namespace', "The app's own client id; any other is refused (403)")],
        ],
      ].map(([path, extra], index) => [
        path,
        {
          get: {
            operationId: index ? 'appReadsNamespace' : 'appReadsData',
            summary: "The app's own JSON document about the customer ({} when none)",
            security: [{ clientBasic: [] }],
            parameters: [userParameter, ...(extra as object[])],
            responses: {
              200: json({ type: 'object' }, 'The document'),
              ...appRefusals,
              403: problemResponse("`app_data_forbidden`: another app's namespace"),
              ...limited,
            },
          },
          put: {
            operationId: index ? 'appWritesNamespace' : 'appWritesData',
            summary: "Replace the app's own document, within its size limit",
            security: [{ clientBasic: [] }],
            parameters: [userParameter, ...(extra as object[])],
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            responses: {
              200: json({ type: 'object' }, 'The document as kept'),
              ...appRefusals,
              403: problemResponse("`app_data_forbidden`: another app's namespace"),
              422: problemResponse('`invalid_input`: not a JSON object'),
              ...bodyRefusals,
              413: problemResponse('`app_data_too_large`, or a body over 128 KiB'),
              ...limited,
            },
          },
        },
      ]),
    ),
  },
  schemas: {
    Profile: {
      type: 'object',
      required: ['sub'],
      description:
        "OpenID Connect standard claims (given_name, family_name, email, email_verified, phone_number, phone_number_verified, address, locale, birthdate, zoneinfo) and the catalogue's custom attributes",
      properties: { sub: { type: 'string' } },
      additionalProperties: true,
    },
  },
  securitySchemes: {
    clientBasic: {
      type: 'http',
      scheme: 'basic',
      description: "A registered app's client id and secret (RFC 6749 §2.3.1)",
    },
  },
};

const adminKey = [{ adminKey: [] }];
const noKey = problemResponse('No, or a wrong, operator key');
const invalid = problemResponse('`invalid_input`: each field at its JSON pointer');
const appAnswer = {
  type: 'object',
  required: ['client_id', 'name', 'kind'],
  properties: {
    client_id: { type: 'string' },
    name: { type: 'string' },
    kind: { enum: ['first_party', 'third_party'] },
    attributes: { type: 'array', items: { type: 'string' } },
    purposes: { type: 'array', items: { type: 'string' } },
    data_limit_bytes: { type: 'integer' },
    profiling: { type: 'object' },
    created_at: { type: 'string', format: 'date-time' },
    secret_rotated_at: { type: 'string', format: 'date-time' },
  },
};

/** The operator's API (`/v1/admin`): apps, the attribute catalogue, any customer's profile. */
export const adminOpenApi = {
  paths: {
    '/v1/admin/apps': {
      get: {
        operationId: 'listApps',
        summary: 'Every registered app, never a secret',
        security: adminKey,
        responses: { 200: json({ type: 'object' }, 'The apps'), 401: noKey, ...limited },
      },
      post: {
        operationId: 'addApp',
        summary: 'Register an app: its client secret is in this answer only',
        security: adminKey,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: bodyOf(appInput) } },
        },
        responses: {
          201: json(
            {
              type: 'object',
              required: ['app', 'client_secret'],
              properties: { app: appAnswer, client_secret: { type: 'string' } },
            },
            'Registered',
          ),
          401: noKey,
          409: problemResponse('`app_exists`'),
          422: invalid,
          ...bodyRefusals,
          ...limited,
        },
      },
    },
    '/v1/admin/apps/{id}': {
      get: {
        operationId: 'getApp',
        summary: 'One app',
        security: adminKey,
        parameters: [pathParameter('id', 'The client id')],
        responses: {
          200: json(appAnswer, 'The app'),
          401: noKey,
          404: problemResponse('`app_not_found`'),
          ...limited,
        },
      },
      patch: {
        operationId: 'changeApp',
        summary: 'Change an app (not its id nor its secret)',
        security: adminKey,
        parameters: [pathParameter('id', 'The client id')],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: bodyOf(appChange) } },
        },
        responses: {
          200: json(appAnswer, 'The app'),
          401: noKey,
          404: problemResponse('`app_not_found`'),
          422: invalid,
          ...bodyRefusals,
          ...limited,
        },
      },
      delete: {
        operationId: 'removeApp',
        summary: 'Remove an app, its namespaces and counts',
        security: adminKey,
        parameters: [pathParameter('id', 'The client id')],
        responses: {
          204: { description: 'Removed' },
          401: noKey,
          404: problemResponse('`app_not_found`'),
          ...limited,
        },
      },
    },
    '/v1/admin/apps/{id}/secret': {
      post: {
        operationId: 'rotateAppSecret',
        summary: 'A new client secret; the old one stops working at once',
        security: adminKey,
        parameters: [pathParameter('id', 'The client id')],
        responses: {
          200: json(
            {
              type: 'object',
              required: ['client_id', 'client_secret'],
              properties: { client_id: { type: 'string' }, client_secret: { type: 'string' } },
            },
            'The new secret, shown once',
          ),
          401: noKey,
          404: problemResponse('`app_not_found`'),
          ...limited,
        },
      },
    },
    '/v1/admin/attributes': {
      get: {
        operationId: 'listAttributes',
        summary: 'The attribute catalogue: the standard attributes and every declared one',
        security: adminKey,
        responses: { 200: json({ type: 'object' }, 'The catalogue'), 401: noKey, ...limited },
      },
      post: {
        operationId: 'defineAttribute',
        summary: 'Declare (or redeclare) a custom attribute',
        security: adminKey,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: bodyOf(attributeDefinitionInput) } },
        },
        responses: {
          201: json(
            { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
            'The attribute',
          ),
          401: noKey,
          422: invalid,
          ...bodyRefusals,
          ...limited,
        },
      },
    },
    '/v1/admin/attributes/{name}': {
      delete: {
        operationId: 'removeAttribute',
        summary: 'Remove a custom attribute from the catalogue (values stay, unread)',
        security: adminKey,
        parameters: [pathParameter('name', 'The attribute')],
        responses: {
          204: { description: 'Removed' },
          401: noKey,
          404: problemResponse('`attribute_not_found`'),
          ...limited,
        },
      },
    },
    '/v1/admin/users/{user}/profile': {
      get: {
        operationId: 'operatorReadsProfile',
        summary: "A customer's profile as the operator may read it",
        security: adminKey,
        parameters: [userParameter],
        responses: {
          200: json(PROFILE, 'The profile'),
          401: noKey,
          404: problemResponse('`user_not_found`'),
          ...limited,
        },
      },
      patch: {
        operationId: 'operatorUpdatesProfile',
        summary: 'Change what the operator may write (merge patch)',
        security: adminKey,
        parameters: [userParameter],
        requestBody: OBJECT_BODY,
        responses: {
          200: json(PROFILE, 'The profile'),
          401: noKey,
          404: problemResponse('`user_not_found`'),
          ...refusedPatch,
          ...bodyRefusals,
          ...limited,
        },
      },
    },
    '/v1/analytics/profiling/questions': {
      get: {
        operationId: 'profilingQuestions',
        summary: 'progressive-profiling@1 per attribute and app: asked, answered, skipped',
        security: adminKey,
        parameters: Object.entries(profilingQuery.shape).map(([name, schema]) => ({
          name,
          in: 'query',
          required: false,
          schema: parameterSchema(schema),
        })),
        responses: {
          200: json(
            {
              type: 'object',
              required: ['from', 'to', 'questions'],
              properties: {
                from: { type: 'string', format: 'date-time' },
                to: { type: 'string', format: 'date-time' },
                questions: { type: 'array', items: PROFILING_QUESTION },
              },
            },
            'The counts, exact',
          ),
          401: noKey,
          422: problemResponse('`invalid_input`: a query parameter, in `query`'),
          ...limited,
        },
      },
    },
  },
};
