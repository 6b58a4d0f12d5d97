import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JourneyDefinition } from '../../journey-kit/define-journey.js';
import { journeyKey } from '../../journey-kit/define-journey.js';
import type { JourneyModules } from '../../journey-kit/journey-modules.js';

/** The repository root, for default paths (journeys/modules.ts, journeys/simulations/). */
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** What every command writes to: the terminal, or a buffer in tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** A mistake in how a command was called: exit 2 with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The module map the worker runs (journeys/modules.ts), or another module exporting
 * `journeyModules` (a fixture, a journey under review).
 */
export async function journeyModulesFrom(file?: string): Promise<JourneyModules> {
  const url = pathToFileURL(resolve(file ?? resolve(repoRoot, 'journeys/modules.ts'))).href;
  const { journeyModules } = (await import(url)) as { journeyModules?: JourneyModules };
  if (!journeyModules) throw new UsageError(`${file} exports no journeyModules`);
  return journeyModules;
}

/** The journey a command names: `id@version`, or `id` for its newest version. */
export async function pickJourney(
  modules: JourneyModules,
  ref: string | undefined,
): Promise<JourneyDefinition> {
  if (!ref) throw new UsageError('name a journey: <id> or <id>@<version>');
  const keys = Object.keys(modules);
  const key = ref.includes('@')
    ? keys.find((candidate) => candidate === ref)
    : keys
        .filter((candidate) => candidate.startsWith(`${ref}@`))
        .sort((a, b) => Number(a.split('@')[1]) - Number(b.split('@')[1]))
        .at(-1);
  const load = key ? modules[key] : undefined;
  if (!load) throw new UsageError(`no journey '${ref}': the journeys are ${keys.join(', ')}`);
  const definition = await load();
  if (journeyKey(definition.id, definition.version) !== key)
    throw new Error(`${key}: its module holds ${journeyKey(definition.id, definition.version)}`);
  return definition;
}
