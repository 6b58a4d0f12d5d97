import { problemResponse } from './openapi-parts.js';
import { json, operatorOperation, pathParameter, stepUpNeeded } from './openapi-profile.js';

const uid = pathParameter('uid', 'The interaction, as the provider named it in its redirect');
const gone = problemResponse(
  '`interaction_not_found`: no interaction cookie, another browser’s, or expired',
);
const onwards = {
  description: 'Done: send the browser to `redirect_to`, the provider, which goes on to the client',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['redirect_to'],
        properties: { redirect_to: { type: 'string' } },
      },
    },
  },
};
/** The interaction cookie binds the browser; the session's bearer token, the customer. */
const interactionOperation = (operation: Record<string, unknown>) => ({
  ...operation,
  parameters: [uid],
  security: [{ sessionBearer: [] }],
});

/**
 * The OpenID Connect provider's interactions (`/oidc/interaction/{uid}`), as a page or an app drives
 * them. The provider's own endpoints are in its discovery document, `/oidc/.well-known/openid-configuration`.
 */
export const oidcOpenApi = {
  '/oidc/interaction/{uid}': {
    get: {
      operationId: 'describeInteraction',
      summary:
        'What the provider asks (login or consent), why, for which client, and which journey to run',
      security: [],
      parameters: [uid],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['uid', 'prompt', 'client'],
            properties: {
              uid: { type: 'string' },
              prompt: {
                type: 'object',
                properties: {
                  name: { enum: ['login', 'consent'] },
                  reasons: { type: 'array', items: { type: 'string' } },
                },
              },
              client: { type: 'object' },
              journey: {
                type: 'object',
                description: 'login@1, step-up@1 or consent@1, with its start body',
              },
            },
          },
          'The interaction',
        ),
        404: gone,
      },
    },
  },
  '/oidc/interaction/{uid}/login': {
    post: interactionOperation({
      operationId: 'finishLogin',
      summary: 'Finish the login with this session: its account, acr, amr and auth_time',
      responses: {
        200: onwards,
        401: problemResponse('No valid session'),
        403: stepUpNeeded,
        404: gone,
        409: problemResponse(
          '`consent_due`: run consent@1 with the session first (`continue_with`)',
        ),
      },
    }),
  },
  '/oidc/interaction/{uid}/consent': {
    post: interactionOperation({
      operationId: 'grantConsent',
      summary: 'Grant the client the scopes it asked that it is registered for',
      responses: { 200: onwards, 401: problemResponse('No valid session'), 404: gone },
    }),
  },
  '/oidc/interaction/{uid}/abort': {
    post: {
      operationId: 'abortInteraction',
      summary: 'The customer declines: the client gets `access_denied`',
      security: [],
      parameters: [uid],
      responses: { 200: onwards, 404: gone },
    },
  },
};

const signingKey = {
  type: 'object',
  required: ['kid', 'alg', 'created_at', 'signs_from'],
  properties: {
    kid: { type: 'string' },
    alg: { enum: ['RS256', 'ES256'] },
    created_at: { type: 'string', format: 'date-time' },
    signs_from: { type: 'string', format: 'date-time' },
    retired_at: { type: 'string', format: 'date-time' },
  },
};

/** The provider's signing keys, for operators (`npx parcours oidc keys|rotate-keys`). */
export const oidcAdminOpenApi = {
  '/v1/admin/oidc/signing-keys': {
    get: operatorOperation({
      operationId: 'listSigningKeys',
      summary: 'The signing keys: which signs, which are published beside it; never a private part',
      responses: {
        200: json(
          {
            type: 'object',
            required: ['keys'],
            properties: { keys: { type: 'array', items: signingKey } },
          },
          'The keys, newest first',
        ),
      },
    }),
  },
  '/v1/admin/oidc/signing-keys/rotate': {
    post: operatorOperation({
      operationId: 'rotateSigningKeys',
      summary:
        'New keys, published now and signing after two days; the old ones published two more',
      responses: {
        201: json(
          {
            type: 'object',
            required: ['rotated', 'keys'],
            properties: {
              rotated: { type: 'array', items: { type: 'string' } },
              keys: { type: 'array', items: signingKey },
            },
          },
          'Rotated',
        ),
      },
    }),
  },
};
