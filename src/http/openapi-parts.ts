import { z } from 'zod';

/** Pieces every part of the OpenAPI document (openapi.ts) uses. */

export const problemResponse = (description: string) => ({
  description,
  content: {
    'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
  },
});

/** A parameter's JSON Schema from the zod schema the server parses it with. */
export const parameterSchema = (schema: z.ZodType) => {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input' });
  return json;
};

/** Every field of a query schema as an optional query parameter, its schema from zod. */
export const queryParameters = (shape: Record<string, z.ZodType>) =>
  Object.entries(shape).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema: parameterSchema(schema),
  }));

/** `email-change` → `EmailChange`, for operation ids. */
export const pascal = (id: string) =>
  id.replace(/(^|[^a-zA-Z0-9])([a-zA-Z0-9])/g, (_match, _sep, letter: string) =>
    letter.toUpperCase(),
  );

/** Every answer under /v1 may be a 429 from the per-client limits. */
export const limited = {
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

/** A POST body may be unreadable, too large or not JSON before any journey sees it. */
export const bodyRefusals = {
  400: problemResponse(
    'The body is not valid JSON, its encoding is corrupt, or the path is not decodable',
  ),
  413: problemResponse('The body is over 16 KiB (inflated size, for a compressed body)'),
  415: problemResponse('The body is not `application/json`'),
};

export const viewResponse = {
  description: 'The journey view',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/JourneyView' } } },
};

export const journeyIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The journey id (`jrn_…`) from the start answer',
  schema: { type: 'string' },
};
