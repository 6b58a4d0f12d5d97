import { z } from 'zod';
import { linkBody } from './journey-links.js';
import { bodyRefusals, limited, problemResponse } from './openapi-parts.js';

/** The route a link from a message posts to (journey-links.ts), as the OpenAPI document shows it. */
export const linksOpenApi = {
  '/v1/links/continue': {
    post: {
      operationId: 'continueFromLink',
      summary:
        'Open a link from a message (account recovery): the run that asked for it goes on where it was started',
      description:
        'Answers only that it worked: no run id, view or token. The customer goes on where they ' +
        'started, with the journey token held there (the app polls the run).',
      security: [],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: z.toJSONSchema(linkBody) } },
      },
      responses: {
        200: {
          description: 'The run took the link',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['status', 'detail'],
                properties: {
                  status: { const: 'continued' },
                  detail: { type: 'string' },
                },
                additionalProperties: false,
              },
            },
          },
        },
        404: problemResponse('`link_invalid`: no such link'),
        409: problemResponse('`link_used`: the link, or the code it came with, was used'),
        410: problemResponse('`link_expired`: start again (`restart`)'),
        422: problemResponse('`invalid_input`: the body is not `{ token }`'),
        ...bodyRefusals,
        ...limited,
      },
    },
  },
};
