import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const biome = join(repoRoot, 'node_modules/.bin/biome');
const fixture = join(repoRoot, 'test/fixtures/forbidden-journey/settings-from-disk.journey.ts');

interface Diagnostic {
  category: string;
  message: string;
  location: { path: string; start: { line: number } };
}

/** `biome lint` with its JSON report (exit code 1 just means it found errors). */
function lint(cwd: string, paths: string[]): Diagnostic[] {
  const run = spawnSync(biome, ['lint', '--reporter=json', '--max-diagnostics=none', ...paths], {
    cwd,
    encoding: 'utf8',
  });
  if (!run.stdout) throw new Error(`biome lint gave no report: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { diagnostics: Diagnostic[] }).diagnostics;
}

/** The folders whose code Temporal's sandbox runs: journeys, the workflow and what they import. */
const sandboxFolders = [
  'journeys',
  'workers/workflow',
  'src/journey-kit',
  'src/run',
  'src/temporal-contract',
  'src/errors',
];

const restricted = (diagnostics: Diagnostic[]) =>
  diagnostics.filter((diagnostic) => diagnostic.category === 'lint/style/noRestrictedImports');

// The project's biome.json bans Node builtins, Prisma, Temporal's Node packages and other I/O in
// the code Temporal's sandbox runs; the fixture sits outside those folders, so it is copied in.
describe('sandbox import rule (biome noRestrictedImports)', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'parcours-lint-'));
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));
  copyFileSync(join(repoRoot, 'biome.json'), join(workspace, 'biome.json'));
  // Node-side code (activities) may do I/O: the same file there is the control.
  for (const folder of [...sandboxFolders, 'src/activities', 'src/authoring']) {
    mkdirSync(join(workspace, folder), { recursive: true });
    copyFileSync(fixture, join(workspace, folder, 'settings-from-disk.journey.ts'));
  }

  it('flags node:fs in journeys, the workflow and the folders they import, and nowhere else', () => {
    const found = restricted(lint(workspace, ['.']));
    expect(found.map((diagnostic) => diagnostic.location.path).sort()).toEqual(
      [...sandboxFolders].sort().map((folder) => `${folder}/settings-from-disk.journey.ts`),
    );
    for (const diagnostic of found) {
      expect(diagnostic.location.start.line).toBe(3);
      expect(diagnostic.message).toMatch(/deterministic sandbox: no I\/O/);
    }
  });

  it('finds no forbidden import in the real journeys, workflow and the folders they import', () => {
    expect(restricted(lint(repoRoot, sandboxFolders))).toEqual([]);
  });
});

/** Every file of the sandbox as biome's override names it (folders and single files). */
function sandboxFiles(): string[] {
  const biomeConfig = JSON.parse(readFileSync(join(repoRoot, 'biome.json'), 'utf8')) as {
    overrides: Array<{ includes: string[] }>;
  };
  const sandbox = biomeConfig.overrides.find((override) =>
    override.includes.includes('journeys/**'),
  );
  if (!sandbox) throw new Error('biome.json has no override for the sandbox');
  // A pattern such as src/activities/<any>/declarations.ts: the named file in each folder holding one.
  const inEachFolder = (pattern: string) => {
    const [parent = '', file = ''] = pattern.split('/*/');
    return readdirSync(join(repoRoot, parent))
      .map((folder) => `${parent}/${folder}/${file}`)
      .filter((path) => existsSync(join(repoRoot, path)));
  };
  return sandbox.includes
    .flatMap((pattern) =>
      pattern.endsWith('/**')
        ? readdirSync(join(repoRoot, pattern.slice(0, -3)), { recursive: true })
            .map((file) => `${pattern.slice(0, -3)}/${String(file)}`)
            .filter((file) => file.endsWith('.ts'))
        : pattern.includes('*')
          ? inEachFolder(pattern)
          : [pattern],
    )
    .filter((file) => !file.endsWith('.test.ts'));
}

// The worker evaluates the sandbox's modules once and shares them between its runs
// (workers/workflow/preload.ts): a module-level variable would carry one run's state into the next.
// The SDK freezes shared objects, so a write to one fails loudly; a `let` it cannot freeze.
describe('state shared between runs', () => {
  it('finds no module-level let or var in the code the workflow sandbox shares between runs', () => {
    const files = sandboxFiles();
    expect(files).toContain('src/run/journey-run.ts');
    const found = files.flatMap((file) =>
      readFileSync(join(repoRoot, file), 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          /^(export )?(let|var) /.test(line) ? [`${file}:${index + 1}`] : [],
        ),
    );
    expect(found).toEqual([]);
  });
});
