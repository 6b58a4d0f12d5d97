import { type JourneyDefinition, journeyKey } from '../journey-kit/define-journey.js';
import type { JourneyRegistry } from '../journey-registry/registry.js';
import {
  bodyRefusals,
  journeyIdParameter,
  limited,
  parameterSchema,
  pascal,
  problemResponse,
  viewResponse,
} from './openapi-parts.js';
import { createStepSchemas } from './public-view.js';
import { channelName } from './query-fields.js';
import { pinnedStartPath, type StartSchemas } from './start-schemas.js';

const startSchemaName = (definition: JourneyDefinition) =>
  `${definition.id}.v${definition.version}.start`;

/**
 * The journeys' part of the OpenAPI document: a start per journey (its latest version) and per
 * version, each with the body that version takes, and a path per step name with its input, all
 * from the journeys' zod schemas.
 */
export function journeysOpenApi(registry: JourneyRegistry, startSchemaOf: StartSchemas) {
  const schemaOf = createStepSchemas(registry);
  const stepSchemas: Record<string, unknown> = {};
  for (const definition of registry.list()) {
    for (const step of new Set(Object.values(definition.steps))) {
      stepSchemas[`${definition.id}.v${definition.version}.${step.name}`] = schemaOf(step);
    }
  }
  const startSchemas = Object.fromEntries(
    registry.list().map((definition) => [startSchemaName(definition), startSchemaOf(definition)]),
  );
  const stepNames = [
    ...new Set(
      registry
        .list()
        .flatMap((definition) => Object.values(definition.steps).map((step) => step.name)),
    ),
  ];
  const journeyIds = [...new Set(registry.list().map((definition) => definition.id))];
  const channelParameter = {
    name: 'Parcours-Channel',
    in: 'header',
    required: false,
    description:
      'The app starting the run (a short lower-case name; `default` without it), recorded with its journey events for funnels per app',
    schema: parameterSchema(channelName()),
  };
  /** A start of one journey version: the latest (by the journey's name) or pinned (`id@version`). */
  const startOperation = (definition: JourneyDefinition, pinned: boolean) => {
    const key = journeyKey(definition.id, definition.version);
    const body = startSchemaOf(definition);
    const session = definition.start?.session !== undefined;
    return {
      post: {
        operationId: `start${pascal(definition.id)}${pinned ? `V${definition.version}` : ''}`,
        summary: pinned
          ? `Start ${definition.title} in version ${definition.version} (${key})`
          : `Start ${definition.title} in its latest version (${key})`,
        description: [
          `The body is ${key}'s start input (components.schemas \`${startSchemaName(definition)}\`; also in \`GET /v1/journeys\`).`,
          pinned
            ? 'Runs started here stay on this version.'
            : `Starts the latest version; \`${pinnedStartPath(definition)}\` pins it.`,
          session
            ? "It acts on a signed-in customer: send the session token as a bearer token (RFC 6750); the session must meet the journey's requirement."
            : '',
          'A version is pinned in the path: `?version=` is refused (422).',
        ]
          .filter(Boolean)
          .join(' '),
        parameters: [channelParameter],
        security: session ? [{ sessionBearer: [] }] : [],
        requestBody: {
          required: Array.isArray(body.required) && body.required.length > 0,
          content: {
            'application/json': {
              schema: { $ref: `#/components/schemas/${startSchemaName(definition)}` },
            },
          },
        },
        responses: {
          201: {
            ...viewResponse,
            description: 'Started: the first view, with the journey token (shown only here)',
            headers: {
              Location: {
                description: 'The journey: `/v1/journeys/{id}`',
                schema: { type: 'string' },
              },
            },
          },
          ...bodyRefusals,
          ...(session
            ? {
                401: problemResponse('No valid session was given'),
                403: problemResponse(
                  'The session misses what the journey demands (`requirement`: `max_age` or `aal`; `step_up` names the start that meets it)',
                ),
              }
            : {}),
          422: problemResponse(
            'Start input refused (a return address outside the allow-list too), or a `version` in the query; field errors in `errors` (JSON pointers)',
          ),
          ...limited,
        },
      },
    };
  };
  // Per journey: the start of its latest version, then one per version.
  const startPaths = Object.fromEntries(
    journeyIds.flatMap((id) => [
      [`/v1/journeys/${id}/start`, startOperation(registry.latest(id) as JourneyDefinition, false)],
      ...registry
        .list()
        .filter((definition) => definition.id === id)
        .map((definition) => [pinnedStartPath(definition), startOperation(definition, true)]),
    ]),
  );
  /** One path per step name: its body is that step's input in the run's journey version. */
  const stepOperation = (name: string) => {
    // The step as each journey version that has it takes it: the run's version decides.
    const schemas = Object.keys(stepSchemas)
      .filter((key) => key.endsWith(`.${name}`))
      .map((key) => ({ $ref: `#/components/schemas/${key}` }));
    return {
      post: {
        operationId: `submit${pascal(name)}`,
        summary: `Submit the \`${name}\` step`,
        description:
          "The body is the step's input in the run's journey version: its JSON Schema is in the view (`step.schema`) and under components.schemas (`<journey>.v<N>.<step>`). The step is checked first: a step the journey is not at answers 409 whatever the body.",
        parameters: [journeyIdParameter],
        security: [{ journeyToken: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: schemas.length === 1 ? schemas[0] : { anyOf: schemas },
            },
          },
        },
        responses: {
          200: viewResponse,
          ...bodyRefusals,
          404: problemResponse(
            "No journey with this id, a wrong or missing token, or the run's journey has no such step",
          ),
          409: problemResponse(
            'Not the current step, still working on the last submission, or the journey has ended (the current view is in `view`)',
          ),
          410: problemResponse(
            'The journey is past its lifetime (`journey_expired`; the expired view in `view`, a fresh start in `restart`)',
          ),
          422: problemResponse(
            'Invalid input, or refused by the journey (a wrong code, a weak password), with field errors in `errors` (JSON pointers)',
          ),
          ...limited,
        },
      },
    };
  };
  const stepPaths = Object.fromEntries(
    stepNames.map((name) => [`/v1/journeys/{id}/steps/${name}`, stepOperation(name)]),
  );
  return {
    paths: { ...startPaths, ...stepPaths },
    schemas: { ...stepSchemas, ...startSchemas },
  };
}
