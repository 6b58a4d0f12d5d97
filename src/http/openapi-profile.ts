import { z } from 'zod';
import { appChange, appInput } from '../apps/app-registry.js';
import { policyVersionInput } from '../consent/policies.js';
import { purposeId, purposeInput } from '../consent/purposes.js';
import { attributeDefinitionInput } from '../profile/attribute-catalogue.js';
import { profilingQuery } from './analytics-api.js';
import { PROFILING_QUESTION } from './openapi-funnel.js';
import {
  bodyRefusals,
  limited,
  parameterSchema,
  problemResponse,
  queryParameters,
  viewResponse,
} from './openapi-parts.js';

export const json = (schema: unknown, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const bodyOf = (schema: z.ZodType) => {
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
export const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
export const started = {
  201: {
    ...viewResponse,
    description: 'The journey started, as `POST /v1/journeys/{journey}/start` answers',
  },
};
export const stepUpNeeded = problemResponse(
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

/** An operation as the document describes it, before who may call it is said. */
interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  parameters?: object[];
  requestBody?: object;
  responses: Record<string, object>;
}

/** Who may call an operation: its security scheme, and the answers every such call may get. */
const callableBy =
  (security: object[], refusals: Record<string, object>) => (operation: Operation) => ({
    ...operation,
    security,
    responses: { ...operation.responses, ...refusals, ...limited },
  });
/** With the customer's session (`/v1/me`). */
export const customerOperation = callableBy([{ sessionBearer: [] }], { 401: noSession });
/** With an app's client credentials (`/v1/apps/me`). */
const appOperation = callableBy([{ clientBasic: [] }], appRefusals);

/** Self-service (`/v1/me`) and the app API (`/v1/apps/me`): one profile, read the same by both. */
export const profileOpenApi = {
  paths: {
    '/v1/me': {
      get: customerOperation({
        operationId: 'readMyProfile',
        summary: "The signed-in customer's profile: `sub` and each attribute with a value",
        responses: { 200: json(PROFILE, 'The profile') },
      }),
      patch: customerOperation({
        operationId: 'updateMyProfile',
        summary: 'Change the profile (RFC 7396 merge patch: `null` removes an attribute)',
        description:
          "Nothing of a refused patch is kept. Email, phone and address need a sign-in in the last 15 minutes at the account's highest level.",
        requestBody: OBJECT_BODY,
        responses: {
          200: json(PROFILE, 'The profile after the change'),
          ...refusedPatch,
          ...bodyRefusals,
        },
      }),
      delete: customerOperation({
        operationId: 'eraseMe',
        summary: 'Erase the account after a grace period: starts erasure@1 (its start body)',
        description:
          "Needs a sign-in in the last 15 minutes at the account's highest level. Every session ends at once; signing in before the day keeps the account.",
        responses: {
          ...started,
          403: stepUpNeeded,
          422: problemResponse('`invalid_input`: the start body'),
          ...bodyRefusals,
        },
      }),
    },
    '/v1/me/sessions': {
      get: customerOperation({
        operationId: 'listMySessions',
        summary: "The customer's live sessions: device, created, last seen, which is this one",
        responses: {
          200: json(
            {
              type: 'object',
              required: ['sessions'],
              properties: { sessions: { type: 'array', items: sessionItem } },
            },
            'Newest first',
          ),
        },
      }),
      delete: customerOperation({
        operationId: 'revokeMyOtherSessions',
        summary: 'Log out every other session of the customer; this one stays',
        responses: {
          200: json(
            { type: 'object', required: ['revoked'], properties: { revoked: { type: 'integer' } } },
            'How many sessions ended',
          ),
        },
      }),
    },
    '/v1/me/sessions/{id}': {
      delete: customerOperation({
        operationId: 'revokeMySession',
        summary: "Log out one of the customer's sessions: its token stops working at once",
        parameters: [pathParameter('id', 'A session id from the list')],
        responses: {
          204: { description: 'Logged out' },
          404: problemResponse('`session_not_found`: no live session of this customer'),
        },
      }),
    },
    '/v1/me/factors': {
      get: customerOperation({
        operationId: 'listMyFactors',
        summary: "The account's second factors, never a secret (as `/v1/sessions/factors`)",
        responses: {
          200: json(
            { type: 'object', required: ['factors'], properties: { factors: { type: 'array' } } },
            'The factors',
          ),
        },
      }),
    },
    '/v1/me/factors/{id}': {
      delete: customerOperation({
        operationId: 'removeMyFactor',
        summary: 'Remove a factor: starts factor-removal@1 (aal 2, a recent sign-in)',
        parameters: [pathParameter('id', 'A factor id, or `recovery_code` for the whole set')],
        responses: {
          ...started,
          403: stepUpNeeded,
          422: problemResponse('`invalid_input`: not a factor id'),
        },
      }),
    },
    '/v1/me/email': {
      post: customerOperation({
        operationId: 'changeMyEmail',
        summary: 'Change the email address: starts email-change@1 (its start body)',
        responses: {
          ...started,
          403: stepUpNeeded,
          422: problemResponse('`invalid_input`: the start body'),
          ...bodyRefusals,
        },
      }),
    },
    '/v1/me/phone': {
      post: customerOperation({
        operationId: 'changeMyPhone',
        summary: 'Change and verify the phone number by a texted code: starts phone-change@1',
        responses: {
          ...started,
          403: stepUpNeeded,
          422: problemResponse('`invalid_input`: the start body'),
          ...bodyRefusals,
        },
      }),
    },
    '/v1/apps/me/users/{user}/profile': {
      get: appOperation({
        operationId: 'appReadsProfile',
        summary: "A customer's profile as the catalogue lets this app read it",
        parameters: [userParameter],
        responses: { 200: json(PROFILE, 'The profile') },
      }),
      patch: appOperation({
        operationId: 'appUpdatesProfile',
        summary: 'Change what the catalogue lets this app write (merge patch)',
        parameters: [userParameter],
        requestBody: OBJECT_BODY,
        responses: {
          200: json(PROFILE, 'The profile after the change'),
          ...refusedPatch,
          ...bodyRefusals,
        },
      }),
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
          get: appOperation({
            operationId: index ? 'appReadsNamespace' : 'appReadsData',
            summary: "The app's own JSON document about the customer ({} when none)",
            parameters: [userParameter, ...(extra as object[])],
            responses: {
              200: json({ type: 'object' }, 'The document'),
              403: problemResponse("`app_data_forbidden`: another app's namespace"),
            },
          }),
          put: appOperation({
            operationId: index ? 'appWritesNamespace' : 'appWritesData',
            summary: "Replace the app's own document, within its size limit",
            parameters: [userParameter, ...(extra as object[])],
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            responses: {
              200: json({ type: 'object' }, 'The document as kept'),
              403: problemResponse("`app_data_forbidden`: another app's namespace"),
              422: problemResponse('`invalid_input`: not a JSON object'),
              ...bodyRefusals,
              413: problemResponse('`app_data_too_large`, or a body over 128 KiB'),
            },
          }),
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

const noKey = problemResponse('No, or a wrong, operator key');
/** With the operator key (`/v1/admin`, analytics). */
export const operatorOperation = callableBy([{ adminKey: [] }], { 401: noKey });
export const invalid = problemResponse('`invalid_input`: each field at its JSON pointer');
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
    client_type: { enum: ['confidential', 'public'] },
    redirect_uris: { type: 'array', items: { type: 'string' } },
    post_logout_redirect_uris: { type: 'array', items: { type: 'string' } },
    scopes: { type: 'array', items: { type: 'string' } },
    grant_types: { type: 'array', items: { type: 'string' } },
    backchannel_logout_uri: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    secret_rotated_at: { type: 'string', format: 'date-time' },
  },
};

export const PURPOSE = {
  type: 'object',
  required: ['id', 'name', 'attributes', 'apps'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    attributes: { type: 'array', items: { type: 'string' } },
    apps: { type: 'array', items: { type: 'string' } },
    policy: { type: 'string', description: 'The policy a decision on it is made under' },
    required: { type: 'boolean', description: 'Needed to hold an account: never denied' },
    validity_days: { type: 'integer', description: 'Days a grant lasts' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};
export const POLICY_VERSION = {
  type: 'object',
  required: ['policy', 'version', 'locale', 'content_hash', 'material', 'effective_at'],
  properties: {
    policy: { type: 'string' },
    version: { type: 'string' },
    locale: { type: 'string' },
    content_hash: { type: 'string', description: 'SHA-256 hex of the content' },
    material: { type: 'boolean', description: 'Customers consent again once it is in effect' },
    effective_at: { type: 'string', format: 'date-time' },
    published_at: { type: 'string', format: 'date-time' },
    content: { type: 'string' },
  },
};

/** The operator's API (`/v1/admin`): apps, the attribute catalogue, any customer's profile. */
export const adminOpenApi = {
  paths: {
    '/v1/admin/apps': {
      get: operatorOperation({
        operationId: 'listApps',
        summary: 'Every registered app, never a secret',
        responses: { 200: json({ type: 'object' }, 'The apps') },
      }),
      post: operatorOperation({
        operationId: 'addApp',
        summary: 'Register an app: its client secret is in this answer only',
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
          409: problemResponse('`app_exists`'),
          422: invalid,
          ...bodyRefusals,
        },
      }),
    },
    '/v1/admin/apps/{id}': {
      get: operatorOperation({
        operationId: 'getApp',
        summary: 'One app',
        parameters: [pathParameter('id', 'The client id')],
        responses: {
          200: json(appAnswer, 'The app'),
          404: problemResponse('`app_not_found`'),
        },
      }),
      patch: operatorOperation({
        operationId: 'changeApp',
        summary: 'Change an app (not its id nor its secret)',
        parameters: [pathParameter('id', 'The client id')],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: bodyOf(appChange) } },
        },
        responses: {
          200: json(appAnswer, 'The app'),
          404: problemResponse('`app_not_found`'),
          422: invalid,
          ...bodyRefusals,
        },
      }),
      delete: operatorOperation({
        operationId: 'removeApp',
        summary: 'Remove an app, its namespaces and counts',
        parameters: [pathParameter('id', 'The client id')],
        responses: {
          204: { description: 'Removed' },
          404: problemResponse('`app_not_found`'),
        },
      }),
    },
    '/v1/admin/apps/{id}/secret': {
      post: operatorOperation({
        operationId: 'rotateAppSecret',
        summary: 'A new client secret; the old one stops working at once',
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
          404: problemResponse('`app_not_found`'),
        },
      }),
    },
    '/v1/admin/attributes': {
      get: operatorOperation({
        operationId: 'listAttributes',
        summary: 'The attribute catalogue: the standard attributes and every declared one',
        responses: { 200: json({ type: 'object' }, 'The catalogue') },
      }),
      post: operatorOperation({
        operationId: 'defineAttribute',
        summary: 'Declare (or redeclare) a custom attribute',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: bodyOf(attributeDefinitionInput) } },
        },
        responses: {
          201: json(
            { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
            'The attribute',
          ),
          422: invalid,
          ...bodyRefusals,
        },
      }),
    },
    '/v1/admin/attributes/{name}': {
      delete: operatorOperation({
        operationId: 'removeAttribute',
        summary: 'Remove a custom attribute from the catalogue (values stay, unread)',
        parameters: [pathParameter('name', 'The attribute')],
        responses: {
          204: { description: 'Removed' },
          404: problemResponse('`attribute_not_found`'),
        },
      }),
    },
    '/v1/admin/purposes': {
      get: operatorOperation({
        operationId: 'listPurposes',
        summary: 'Every purpose customers consent to, and what it covers',
        responses: {
          200: json(
            {
              type: 'object',
              required: ['purposes'],
              properties: { purposes: { type: 'array', items: PURPOSE } },
            },
            'The purposes',
          ),
        },
      }),
    },
    '/v1/admin/purposes/{id}': {
      put: operatorOperation({
        operationId: 'definePurpose',
        summary:
          'Declare or redeclare a purpose: the attributes and apps it covers (each must exist)',
        parameters: [
          {
            ...pathParameter('id', 'The purpose (`marketing_email`)'),
            schema: parameterSchema(purposeId()),
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: bodyOf(purposeInput.omit({ id: true })) } },
        },
        responses: {
          200: json(PURPOSE, 'The purpose'),
          422: invalid,
          ...bodyRefusals,
        },
      }),
      delete: operatorOperation({
        operationId: 'removePurpose',
        summary: 'Remove a purpose',
        parameters: [pathParameter('id', 'The purpose')],
        responses: {
          204: { description: 'Removed' },
          404: problemResponse('`purpose_not_found`'),
        },
      }),
    },
    '/v1/admin/policies': {
      get: operatorOperation({
        operationId: 'listPolicyVersions',
        summary: 'Every published version of every policy, per locale, newest in effect first',
        parameters: [{ name: 'policy', in: 'query', required: false, schema: { type: 'string' } }],
        responses: {
          200: json(
            {
              type: 'object',
              required: ['versions'],
              properties: { versions: { type: 'array', items: POLICY_VERSION } },
            },
            'The versions (without their content)',
          ),
        },
      }),
      post: operatorOperation({
        operationId: 'publishPolicyVersion',
        summary: 'Publish a version of a policy in a locale: immutable once published',
        description:
          'The same content again answers 200 with the version as it is; other content under a published version answers 409.',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: bodyOf(policyVersionInput) } },
        },
        responses: {
          201: json(POLICY_VERSION, 'Published'),
          200: json(POLICY_VERSION, 'Published already, with this very content'),
          409: problemResponse('`policy_version_exists`: published with other content'),
          422: invalid,
          ...bodyRefusals,
        },
      }),
    },
    '/v1/admin/policies/{policy}/{version}/{locale}': {
      get: operatorOperation({
        operationId: 'getPolicyVersion',
        summary: 'One published version in one locale, with its content and content hash',
        parameters: [
          pathParameter('policy', 'The policy (`privacy`)'),
          pathParameter('version', 'The version'),
          pathParameter('locale', 'The locale'),
        ],
        responses: {
          200: json(POLICY_VERSION, 'The version'),
          404: problemResponse('`policy_version_not_found`'),
        },
      }),
    },
    '/v1/admin/users/{user}/profile': {
      get: operatorOperation({
        operationId: 'operatorReadsProfile',
        summary: "A customer's profile as the operator may read it",
        parameters: [userParameter],
        responses: {
          200: json(PROFILE, 'The profile'),
          404: problemResponse('`user_not_found`'),
        },
      }),
      patch: operatorOperation({
        operationId: 'operatorUpdatesProfile',
        summary: 'Change what the operator may write (merge patch)',
        parameters: [userParameter],
        requestBody: OBJECT_BODY,
        responses: {
          200: json(PROFILE, 'The profile'),
          404: problemResponse('`user_not_found`'),
          ...refusedPatch,
          ...bodyRefusals,
        },
      }),
    },
    '/v1/analytics/profiling/questions': {
      get: operatorOperation({
        operationId: 'profilingQuestions',
        summary: 'progressive-profiling@1 per attribute and app: asked, answered, skipped',
        parameters: queryParameters(profilingQuery.shape),
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
          422: problemResponse('`invalid_input`: a query parameter, in `query`'),
        },
      }),
    },
  },
};
