import { z } from 'zod';
import { type JourneyDefinition, journeyKey } from '../journey-kit/define-journey.js';
import { returnToFieldsOf, returnToPattern } from '../journey-kit/start-fields.js';

/** An empty start body, for journeys that declare no start input. */
const NO_START_INPUT = z.strictObject({});

/** The zod schema a journey version's start body is parsed with. */
export const startInputOf = (definition: JourneyDefinition): z.ZodObject =>
  definition.start?.input ?? NO_START_INPUT;

/** Where a run of exactly this journey version starts: `/v1/journeys/registration@1/start`. */
export const pinnedStartPath = (definition: JourneyDefinition): string =>
  `/v1/journeys/${journeyKey(definition.id, definition.version)}/start`;

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, Record<string, unknown>>;
};

/**
 * The JSON Schema of each journey version's start body as this deployment takes it, from the
 * journey's zod schema: a return address carries the allow-list's pattern, and where nothing is
 * allowed the field is left out (the body is strict, so it is refused). Computed once per version.
 */
export function createStartSchemas(returnToAllowed: readonly string[]) {
  const pattern = returnToPattern(returnToAllowed);
  const schemas = new Map<JourneyDefinition, JsonSchema>();
  return (definition: JourneyDefinition): JsonSchema => {
    let schema = schemas.get(definition);
    if (schema) return schema;
    const input = startInputOf(definition);
    schema = z.toJSONSchema(input, {
      io: 'input',
      unrepresentable: 'any',
      // How the engine marks a return address is its business; apps see the pattern it checks.
      override: ({ jsonSchema }) => {
        for (const key of Object.keys(jsonSchema))
          if (key.startsWith('x-parcours-')) delete (jsonSchema as Record<string, unknown>)[key];
      },
    }) as JsonSchema;
    for (const field of returnToFieldsOf(input)) {
      const properties = schema.properties ?? {};
      // The pattern is the whole rule (an absolute URL under an allowed address), so no `format`.
      if (pattern)
        properties[field] = {
          ...properties[field],
          pattern,
          description:
            "Where the app sends the customer when the journey ends: an absolute URL under one of this deployment's allowed return addresses",
        };
      else delete properties[field];
    }
    schemas.set(definition, schema);
    return schema;
  };
}

export type StartSchemas = ReturnType<typeof createStartSchemas>;
