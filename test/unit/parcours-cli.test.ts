import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { journeyDefinitions } from '../../journeys/index.js';
import { journeyModules } from '../../journeys/modules.js';
import { runParcours } from '../../src/cli/parcours.js';
import { type JourneyDefinition, journeyKey } from '../../src/journey-kit/define-journey.js';
import { descendants } from '../../src/journey-kit/state-nodes.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI run in this process (spawning tsx costs a second a run): its exit code and output. */
async function parcours(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runParcours(args, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

// What the step view shows besides steps: a state of the same name is not what it shows.
const outcomes = ['start', 'completed', 'failed', 'abandoned', 'expired'];
const keyOf = (definition: JourneyDefinition) => journeyKey(definition.id, definition.version);
const rootFinals = (definition: JourneyDefinition) =>
  Object.values(definition.machine.root.states as Record<string, AnyStateNode>)
    .filter((node) => node.type === 'final')
    .map((node) => node.key);

describe('npx parcours journeys', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'parcours-cli-'));
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('runs from the repository root as `npx parcours` (the package bin)', () => {
    const run = spawnSync('npx', ['--no-install', 'parcours', 'journeys', 'list'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (const key of Object.keys(journeyModules)) expect(run.stdout).toContain(`${key}  `);
  });

  it('exits 2 with the usage for an unknown command, as a program too', async () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/parcours.ts', 'journeys', 'draw'],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown command 'journeys draw'");
    expect(run.stderr).toContain('Usage: parcours journeys <command>');
    expect((await parcours('journeys', 'graph', 'registration', '--colour')).code).toBe(2);
  });

  it('lists every journey of journeys/modules.ts with its version, steps and fragments', async () => {
    const { code, stdout } = await parcours('journeys', 'list');
    expect(code).toBe(0);
    for (const definition of journeyDefinitions) {
      expect(stdout).toContain(`${keyOf(definition)}  ${definition.title}`);
      for (const step of Object.values(definition.steps)) expect(stdout).toContain(step.name);
      for (const fragment of Object.values(definition.fragments ?? {}))
        expect(stdout).toContain(fragment.name);
    }
    expect(stdout).toContain('fragments:  email-code at verifyEmail');
  });

  it("passes check on the repository's journeys", async () => {
    const { code, stdout } = await parcours('journeys', 'check');
    expect(code).toBe(0);
    expect(stdout).toContain(`${journeyDefinitions.length} journey(s) OK`);
  });

  it('fails check naming the journey, the version and the state', async () => {
    const { code, stderr } = await parcours(
      'journeys',
      'check',
      'test/fixtures/forbidden-journey/broken.journeys.ts',
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      "postcard@1 state 'sending': invokes 'sendPostcard', which is not a known activity",
    );
  });

  it('draws every journey as the full statechart and as steps with no internal state', async () => {
    for (const definition of journeyDefinitions) {
      const full = await parcours('journeys', 'graph', keyOf(definition));
      expect(full.code).toBe(0);
      expect(full.stdout).toMatch(/^stateDiagram-v2/);
      const steps = await parcours('journeys', 'graph', keyOf(definition), '--view', 'steps');
      expect(steps.code).toBe(0);
      expect(steps.stdout).toMatch(/^flowchart TD/);
      const labels = new Set([...steps.stdout.matchAll(/"([^"]+)"/g)].map((match) => match[1]));
      const stepNames = new Set(Object.values(definition.steps).map((step) => step.name));
      for (const name of stepNames) expect(labels).toContain(name);
      const internal = descendants(definition.machine.root)
        .map((node) => node.key)
        .filter((key) => !stepNames.has(key) && !outcomes.includes(key));
      for (const key of internal) expect(labels, `${keyOf(definition)}: ${key}`).not.toContain(key);
    }
  });

  it('shows product teams the timers and the run-level outcomes', async () => {
    const { stdout } = await parcours('journeys', 'graph', 'registration@2', '--view', 'steps');
    expect(stdout).toContain('subgraph fragment_email_code["fragment email-code"]');
    expect(stdout).toContain('step_verify_email -->|"after 10 min"| step_verify_email');
    expect(stdout).toContain('step_terms --> completed');
    expect(stdout).toContain('step_terms -.->|"idle 30 min"| abandoned');
    expect(stdout).toContain('start -.->|"not done within 1 h"| expired');
    // A failed code challenge leads to `failed`, never on to the terms.
    expect(stdout).not.toContain('step_credentials --> step_terms');
  });

  it('draws a step that waits as long as the run lives as ending it expired, not abandoned', async () => {
    const { stdout } = await parcours('journeys', 'graph', 'newsletter@1', '--view', 'steps');
    expect(stdout).toContain('step_confirm -->|"after 3 days"| step_confirm');
    expect(stdout).toContain('start -.->|"not done within 7 days"| expired');
    expect(stdout).not.toContain('step_confirm -.->');
  });

  it('writes a self-contained HTML page: the diagram and the inlined mermaid script', async () => {
    const out = join(scratch, 'registration.html');
    const run = await parcours(
      'journeys',
      'graph',
      'registration',
      '--format',
      'html',
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    const html = await readFile(out, 'utf8');
    expect(html).toContain('<pre class="mermaid">\nstateDiagram-v2');
    expect(html).toContain('globalThis["mermaid"]');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('names --format html when there is no Chromium to render an SVG', async () => {
    const before = process.env.PARCOURS_CHROMIUM;
    process.env.PARCOURS_CHROMIUM = join(scratch, 'no-chromium');
    try {
      const run = await parcours('journeys', 'graph', 'login', '--format', 'svg');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('use --format html');
    } finally {
      if (before === undefined) delete process.env.PARCOURS_CHROMIUM;
      else process.env.PARCOURS_CHROMIUM = before;
    }
  });

  it("simulates every journey from its example file, printing each step's view, to completed", async () => {
    for (const definition of journeyDefinitions) {
      const file = join(repoRoot, 'journeys/simulations', `${keyOf(definition)}.json`);
      const script = JSON.parse(await readFile(file, 'utf8')) as {
        steps: Array<{ submit?: string }>;
      };
      const run = await parcours('journeys', 'simulate', keyOf(definition));
      expect(run.stderr, keyOf(definition)).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('▶ start');
      for (const step of script.steps.filter((candidate) => candidate.submit))
        expect(run.stdout).toContain(`▶ submit ${step.submit}`);
      expect(run.stdout).toMatch(/ended completed$/);
    }
  });

  it('refuses a simulation an activity of which has neither an outcome nor a default', async () => {
    const input = join(scratch, 'missing.json');
    await writeFile(
      input,
      JSON.stringify({ activities: { sendPostcard: { returns: {} } }, steps: [] }),
    );
    const run = await parcours('journeys', 'simulate', 'login', '--input', input);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('activities.sendPostcard: not a known activity');
  });

  it('emits, for every journey, a vitest skeleton of its paths that parses and names each final state', async () => {
    for (const definition of journeyDefinitions) {
      const run = await parcours('journeys', 'paths', keyOf(definition));
      expect(run.code).toBe(0);
      const { diagnostics = [] } = ts.transpileModule(run.stdout, {
        reportDiagnostics: true,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      expect(diagnostics.map((diagnostic) => diagnostic.messageText)).toEqual([]);
      expect(run.stdout).toContain(`journeyModules["${keyOf(definition)}"]`);
      for (const final of rootFinals(definition))
        expect(run.stdout).toContain(`describe("ends in ${final}"`);
      expect(run.stdout).toMatch(/test\("1: start/);
    }
  });
});
