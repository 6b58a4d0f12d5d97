import { z } from 'zod';
import type { JourneyDefinition, StepDefinition } from '../journey-kit/define-journey.js';
import type { JourneyRegistry } from '../journey-registry/registry.js';
import type { RunState } from '../run/run-state.js';
import type { Vault } from '../security/vault.js';

/** The view apps see: the run view plus ids, the current step's JSON Schema and revealed secrets. */
export interface PublicView {
  id: string;
  journey: string;
  version: number;
  status: RunState['status'];
  step?: {
    name: string;
    schema: unknown;
    data: Record<string, unknown>;
    error?: RunState['step'] extends infer S ? (S extends { error?: infer E } ? E : never) : never;
  };
  result?: unknown;
  error?: RunState['error'];
  /** On completion: where to send the customer next (the allow-listed `return_to` of the start). */
  return_to?: string;
  token?: string;
}

/** JSON Schema of every step input, computed once per process from the zod schemas. */
export function createStepSchemas(registry: JourneyRegistry) {
  const schemas = new Map<StepDefinition, unknown>();
  for (const definition of registry.list()) {
    for (const step of Object.values(definition.steps)) {
      if (!schemas.has(step)) {
        const schema = z.toJSONSchema(step.input, {
          io: 'input',
          unrepresentable: 'any',
          // How the engine seals or stores a field is its business, not the app's: `writeOnly`
          // and `format` say enough.
          override: ({ jsonSchema }) => {
            for (const key of Object.keys(jsonSchema))
              if (key.startsWith('x-parcours-'))
                delete (jsonSchema as Record<string, unknown>)[key];
          },
        });
        schemas.set(step, schema);
      }
    }
  }
  return (step: StepDefinition) => schemas.get(step);
}

/**
 * Replaces `{ $secret: ref }` by the secret itself, from the vault. `take`: shown once (a session
 * token, in the view that completes the journey, and never again). `reveal`: shown while the
 * reference lives (what a step shows the customer, such as a TOTP key being set up, on every view
 * of that step). `hide`: every secret left out and left in the vault (a view sent for any other
 * reason than the answer it belongs to).
 */
async function revealSecrets(
  value: unknown,
  vault: Vault,
  mode: 'take' | 'reveal' | 'hide',
): Promise<unknown> {
  if (Array.isArray(value))
    return Promise.all(value.map((item) => revealSecrets(item, vault, mode)));
  if (typeof value !== 'object' || value === null) return value;
  if ('$secret' in value && typeof value.$secret === 'string') {
    if (mode === 'hide') return null;
    return (
      (mode === 'take' ? await vault.take(value.$secret) : await vault.reveal(value.$secret)) ??
      null
    );
  }
  const entries = await Promise.all(
    Object.entries(value).map(
      async ([key, item]) => [key, await revealSecrets(item, vault, mode)] as const,
    ),
  );
  return Object.fromEntries(entries.filter(([, item]) => item !== null));
}

export function createPublicViews(registry: JourneyRegistry, vault: Vault) {
  const schemaOf = createStepSchemas(registry);
  return async function publicView(
    id: string,
    definition: JourneyDefinition,
    view: RunState,
    { revealSecrets: reveal = true }: { revealSecrets?: boolean } = {},
  ): Promise<PublicView> {
    const step = view.step && registry.step(definition, view.step.name);
    const data = view.step
      ? ((await revealSecrets(view.step.data, vault, reveal ? 'reveal' : 'hide')) as Record<
          string,
          unknown
        >)
      : {};
    return {
      id,
      journey: definition.id,
      version: definition.version,
      status: view.status,
      ...(view.step
        ? {
            step: {
              name: view.step.name,
              schema: step?.viewSchema ? step.viewSchema(data) : step ? schemaOf(step) : undefined,
              data,
              ...(view.step.error ? { error: view.step.error } : {}),
            },
          }
        : {}),
      ...(view.result !== undefined
        ? { result: await revealSecrets(view.result, vault, reveal ? 'take' : 'hide') }
        : {}),
      ...(view.error ? { error: view.error } : {}),
      ...(view.returnTo ? { return_to: view.returnTo } : {}),
    };
  };
}
