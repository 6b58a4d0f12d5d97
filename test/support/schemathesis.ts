import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned schemathesis `npm run setup` installs (scripts/setup.sh). */
const CLI = fileURLToPath(new URL('../../.tools/schemathesis/bin/schemathesis', import.meta.url));
const CONFIG = fileURLToPath(new URL('./schemathesis/schemathesis.toml', import.meta.url));
const HOOKS = fileURLToPath(new URL('./schemathesis/hooks.py', import.meta.url));

/**
 * Runs `schemathesis run` with the project's configuration (test/support/schemathesis/) and
 * answers its exit code and report. Asynchronous on purpose: the API it tests runs in this process.
 * Missing, it fails: the contract test never skips.
 */
export async function runSchemathesis(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ exitCode: number | null; report: string }> {
  await access(CLI, constants.X_OK).catch(() => {
    throw new Error(`schemathesis is not installed at ${CLI}: run \`npm run setup\``);
  });
  // Its example database and reports stay out of the checkout.
  const cwd = await mkdtemp(join(tmpdir(), 'parcours-schemathesis-'));
  try {
    const child = spawn(CLI, ['--config-file', CONFIG, 'run', '--no-color', ...args], {
      cwd,
      env: { ...process.env, ...env, PARCOURS_SCHEMATHESIS_HOOKS: HOOKS },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let report = '';
    child.stdout.on('data', (chunk) => {
      report += chunk;
    });
    child.stderr.on('data', (chunk) => {
      report += chunk;
    });
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    return { exitCode, report };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}
