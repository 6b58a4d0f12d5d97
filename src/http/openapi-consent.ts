import { legalHoldInput, withheldQuery } from './admin-api.js';
import { bodyRefusals, limited, problemResponse, queryParameters } from './openapi-parts.js';
import {
  bodyOf,
  customerOperation,
  json,
  operatorOperation,
  POLICY_VERSION,
  pathParameter,
  started,
  stepUpNeeded,
} from './openapi-profile.js';

const RECEIPT = {
  type: 'object',
  description: 'A consent record as its receipt (ISO/IEC TS 27560 fields)',
  required: ['receipt_id', 'data_subject', 'purpose', 'notice', 'decision', 'recorded_at'],
  properties: {
    receipt_id: { type: 'string' },
    standard: { type: 'string' },
    data_subject: { type: 'string' },
    purpose: { type: 'object' },
    notice: {
      type: 'object',
      description: 'The policy version, locale and content hash the decision was made under',
    },
    decision: { enum: ['granted', 'denied', 'withdrawn'] },
    recorded_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
    collection: { type: 'object', description: 'Method, journey run, step, channel' },
  },
};
const STANDING = {
  type: 'object',
  required: ['id', 'name', 'attributes', 'apps', 'policy', 'required'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    attributes: { type: 'array', items: { type: 'string' } },
    apps: { type: 'array', items: { type: 'string' } },
    policy: { type: 'string' },
    required: { type: 'boolean' },
    validity_days: { type: 'integer', description: 'Days a grant lasts' },
    decision: { enum: ['granted', 'denied', 'withdrawn', 'expired', 'renewal_due'] },
    decided_at: { type: 'string', format: 'date-time' },
    changed: { enum: ['new', 'policy_changed', 'expired'] },
  },
};

/** The customer's consents (`/v1/me/consents`), published policies, the operator's counts. */
export const consentOpenApi = {
  '/v1/me/consents': {
    get: customerOperation({
      operationId: 'listMyConsents',
      summary: 'Where the customer stands on each purpose, the policies in effect, every receipt',
      responses: {
        200: json(
          {
            type: 'object',
            required: ['policies', 'purposes', 'receipts'],
            properties: {
              policies: { type: 'array', items: { type: 'object' } },
              purposes: { type: 'array', items: STANDING },
              receipts: { type: 'array', items: RECEIPT },
            },
          },
          'Receipts newest first',
        ),
      },
    }),
    post: customerOperation({
      operationId: 'decideMyConsents',
      summary: 'Decide on each purpose again: starts consent@1 (its start body)',
      responses: {
        ...started,
        422: problemResponse('`invalid_input`: the start body'),
        ...bodyRefusals,
      },
    }),
  },
  '/v1/me/consents/receipts/{id}': {
    get: customerOperation({
      operationId: 'readMyConsentReceipt',
      summary: 'One receipt, to download',
      parameters: [pathParameter('id', 'A receipt id from the list')],
      responses: {
        200: json(RECEIPT, 'The receipt'),
        404: problemResponse("`consent_not_found`: none, or another customer's"),
      },
    }),
  },
  '/v1/me/consents/{purpose}': {
    delete: customerOperation({
      operationId: 'withdrawMyConsent',
      summary: "Withdraw a purpose: every app's next read goes without what it covered",
      description:
        "A new record (`withdrawn`); the sessions the purpose's third-party apps hold end. Answers `not_granted` when there is nothing to withdraw.",
      parameters: [pathParameter('purpose', 'The purpose id')],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['purpose', 'decision'],
            properties: {
              purpose: { type: 'string' },
              decision: { enum: ['withdrawn', 'not_granted'] },
              receipt: RECEIPT,
            },
          },
          'Withdrawn, or nothing to withdraw',
        ),
        404: problemResponse('`purpose_not_found`'),
        422: problemResponse('`consent_required`: needed to have an account'),
      },
    }),
  },
  '/v1/me/export': {
    post: customerOperation({
      operationId: 'exportMyData',
      summary: 'A download link for everything held about the customer (GDPR Art. 15, 20)',
      description:
        "Needs a sign-in in the last 15 minutes at the account's highest level. The link works ten minutes; three a day.",
      responses: {
        201: json(
          {
            type: 'object',
            required: ['href', 'expires_at'],
            properties: {
              href: { type: 'string', description: '`/v1/exports/{token}`: shown once' },
              expires_at: { type: 'string', format: 'date-time' },
            },
          },
          'The link',
        ),
        403: stepUpNeeded,
        429: problemResponse('`export_limited`: three a day, `Retry-After` says when'),
      },
    }),
  },
  '/v1/exports/{token}': {
    get: {
      operationId: 'downloadExport',
      summary: "The customer's data as JSON, as a download: the link is the credential",
      security: [],
      parameters: [pathParameter('token', 'From `POST /v1/me/export`')],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['format', 'exported_at', 'account'],
            properties: {
              format: { const: 'parcours-export/1' },
              exported_at: { type: 'string', format: 'date-time' },
              account: { type: 'object' },
            },
          },
          'Account, identifiers, profile, app data, consents, subscriptions, sessions, factor metadata (never a secret), sign-ins, profile changes, journey events',
        ),
        404: problemResponse('`export_not_found`: unknown, expired or malformed'),
        ...limited,
      },
    },
  },
  '/v1/policies/{policy}/{version}/{locale}': {
    get: {
      operationId: 'readPolicy',
      summary: 'A published policy version, as a consent page shows it (public)',
      security: [],
      parameters: [
        pathParameter('policy', 'The policy (`privacy`)'),
        pathParameter('version', 'The version'),
        pathParameter('locale', 'The locale'),
      ],
      responses: {
        200: json(POLICY_VERSION, 'The version, with its content'),
        404: problemResponse('`policy_version_not_found`'),
        ...limited,
      },
    },
  },
};

export const consentAdminOpenApi = {
  '/v1/admin/users/{user}/legal-hold': {
    put: operatorOperation({
      operationId: 'placeLegalHold',
      summary: "Hold the customer's data: erasure waits while the hold stands",
      parameters: [pathParameter('user', "The customer's id (`sub`)")],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: bodyOf(legalHoldInput) } },
      },
      responses: {
        200: json({ type: 'object' }, 'Held: since when, and why'),
        404: problemResponse('`user_not_found`'),
        422: problemResponse('`invalid_input`: the reason'),
        ...bodyRefusals,
      },
    }),
    delete: operatorOperation({
      operationId: 'liftLegalHold',
      summary: 'Lift the hold: an erasure that fell due under it is done at once',
      parameters: [pathParameter('user', "The customer's id (`sub`)")],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['user', 'erased'],
            properties: { user: { type: 'string' }, erased: { type: 'boolean' } },
          },
          'Lifted; `erased` when a due erasure was done',
        ),
        404: problemResponse('`user_not_found`'),
      },
    }),
  },
  '/v1/admin/consent/withheld': {
    get: operatorOperation({
      operationId: 'consentWithheld',
      summary: "Attributes kept from apps' reads for want of consent, per app and day",
      parameters: queryParameters(withheldQuery.shape),
      responses: {
        200: json(
          {
            type: 'object',
            required: ['withheld'],
            properties: {
              withheld: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    app: { type: 'string' },
                    attribute: { type: 'string' },
                    day: { type: 'string', format: 'date' },
                    count: { type: 'integer' },
                  },
                },
              },
            },
          },
          'Counts, never a value or a customer',
        ),
        422: problemResponse('`invalid_input`: the query'),
      },
    }),
  },
};
