import { writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import {
  type JourneyPath,
  type JourneyPaths,
  journeyPaths,
} from '../../authoring/journey-paths.js';
import type { SimulatedOutcome } from '../../authoring/simulated-activities.js';
import { defaultSession, type SimulationScript } from '../../authoring/simulation.js';
import { durationText } from '../../authoring/step-diagram.js';
import { type JourneyDefinition, journeyKey } from '../../journey-kit/define-journey.js';
import { type Io, journeyModulesFrom, pickJourney, repoRoot, UsageError } from './load.js';
import { readSimulation } from './simulation-file.js';

export interface PathsOptions {
  journeys?: string;
  input?: string;
  limit?: string;
  out?: string;
}

/**
 * `parcours journeys paths <id>`: every path from the start to each final state (@xstate/graph),
 * emitted as a vitest skeleton, one test per path, grouped by the final state it ends in.
 */
export async function journeyPathsCommand(
  ref: string | undefined,
  options: PathsOptions,
  io: Io,
): Promise<number> {
  const limit = Number(options.limit ?? 200);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit is a positive whole number, not '${options.limit}'`);
  const modulesFile = options.journeys ?? resolve(repoRoot, 'journeys/modules.ts');
  const definition = await pickJourney(await journeyModulesFrom(modulesFile), ref);
  const { file, script } = await readSimulation(definition, options.input);
  const found = journeyPaths(definition, script, { limit });
  // Imports are written relative to where the skeleton goes: test/unit/ unless --out says.
  const outDir = options.out ? dirname(resolve(options.out)) : resolve(repoRoot, 'test/unit');
  const skeleton = pathSkeleton(definition, script, found, {
    from: (target) => {
      const path = relative(outDir, target).replace(/\.ts$/, '.js');
      return path.startsWith('.') ? path : `./${path}`;
    },
    modulesFile: resolve(modulesFile),
    simulationFile: file,
  });
  if (options.out) {
    await writeFile(options.out, skeleton);
    io.err(`wrote ${options.out}`);
  } else io.out(skeleton);
  io.err(
    `${journeyKey(definition.id, definition.version)}: ${found.paths.length} path(s)${found.leftOut ? `, ${found.leftOut} more left out past --limit ${limit}` : ''}${found.unreached.length ? `; no path reaches ${found.unreached.join(', ')} with the moves tried` : ''}`,
  );
  return 0;
}

const literal = (value: unknown) => JSON.stringify(value);

/** One line a reader follows: what the customer did, what an activity answered, a timer. */
function moveText(move: JourneyPath['moves'][number]): string {
  if (move.kind === 'submit') return `submit ${move.step}`;
  if (move.kind === 'advance') return `${move.timer} (${durationText(move.ms)})`;
  const { outcome } = move;
  if ('returns' in outcome)
    return `${move.activity} done${move.byDefault ? ' (default result)' : ''}`;
  if ('throws' in outcome) return `${move.activity} fails: ${outcome.throws.code}`;
  return `${move.activity} fails: out of retries`;
}

/** The outcomes each activity gives along a path, in call order; default results left to the kit. */
function outcomesAlong(path: JourneyPath): Record<string, SimulatedOutcome[]> {
  const byActivity: Record<string, Array<{ outcome: SimulatedOutcome; byDefault: boolean }>> = {};
  for (const move of path.moves) {
    if (move.kind !== 'activity') continue;
    byActivity[move.activity] = [
      ...(byActivity[move.activity] ?? []),
      { outcome: move.outcome, byDefault: move.byDefault === true },
    ];
  }
  return Object.fromEntries(
    Object.entries(byActivity)
      .filter(([, outcomes]) => outcomes.some((given) => !given.byDefault))
      .map(([activity, outcomes]) => [activity, outcomes.map((given) => given.outcome)]),
  );
}

function pathTest(path: JourneyPath, index: number): string[] {
  const steps = path.moves.flatMap((move) => (move.kind === 'submit' ? [move.step] : []));
  const title = `${index + 1}: ${['start', ...steps].join(' → ')} → ${path.final}`;
  const body: string[] = [];
  for (const move of path.moves) {
    if (move.kind === 'submit')
      body.push(`    await kit.submit(${literal(move.step)}, ${literal(move.input)});`);
    else if (move.kind === 'advance')
      body.push(`    await kit.advance(${move.ms}); // ${moveText(move)}`);
    else body.push(`    // ${moveText(move)}`);
  }
  return [
    `  test(${literal(title)}, async () => {`,
    `    const kit = start(${literal(outcomesAlong(path))});`,
    '    await kit.view();',
    ...body,
    `    expect((await kit.view()).status).toBe(${literal(path.status)});`,
    '    // TODO: what the customer sees at each step, and what each activity was called with.',
    '  });',
  ];
}

/** The vitest file: a kit factory from the simulation, then the paths by final state. */
export function pathSkeleton(
  definition: JourneyDefinition,
  script: SimulationScript,
  found: JourneyPaths,
  files: { from: (target: string) => string; modulesFile: string; simulationFile: string },
): string {
  const key = journeyKey(definition.id, definition.version);
  const finals = [...new Set([...found.paths.map((path) => path.final), ...found.unreached])];
  const options = {
    start: script.start,
    settings: script.settings,
    ...(definition.start?.session ? { session: script.session ?? defaultSession } : {}),
    ...(script.requester ? { requester: script.requester } : {}),
  };
  const lines = [
    `// Generated by \`npx parcours journeys paths ${key}\` from ${relative(repoRoot, files.simulationFile)}:`,
    '// every simple path from the start to each final state, found by @xstate/graph over the inputs',
    '// that file submits, the outcomes it gives each activity (else the default result) plus a',
    '// failure out of retries, and every `after` timer. A skeleton: rename the tests, assert what',
    '// matters, delete the paths that say nothing new. Timers advance by their full length.',
    "import { describe, expect, test } from 'vitest';",
    `import { journeyModules } from ${literal(files.from(files.modulesFile))};`,
    `import { type SimulatedActivity, simulatedActivities } from ${literal(files.from(resolve(repoRoot, 'src/authoring/simulated-activities.ts')))};`,
    `import { createJourneyTestKit } from ${literal(files.from(resolve(repoRoot, 'src/authoring/test-kit.ts')))};`,
    '',
    `const journey = await journeyModules[${literal(key)}]();`,
    '',
    '/** A run of the journey whose activities answer as given, in call order (else their default). */',
    'const start = (activities: Record<string, SimulatedActivity>) =>',
    '  createJourneyTestKit(journey, {',
    ...Object.entries(options).map(([name, value]) => `    ${name}: ${literal(value)},`),
    '    activities: simulatedActivities(activities),',
    '  });',
    '',
    `describe(${literal(`${key}: every path to a final state`)}, () => {`,
  ];
  for (const final of finals) {
    const paths = found.paths.filter((path) => path.final === final);
    lines.push(`  describe(${literal(`ends in ${final}`)}, () => {`);
    if (!paths.length)
      lines.push(
        `    test.todo(${literal(`${final}: no path reaches it with the inputs and outcomes the simulation file gives`)});`,
      );
    paths.forEach((path, index) => {
      lines.push(...pathTest(path, index).map((line) => `  ${line}`));
    });
    lines.push('  });');
  }
  if (found.leftOut)
    lines.push(`  test.todo(${literal(`${found.leftOut} more path(s) left out past --limit`)});`);
  lines.push('});', '');
  return lines.join('\n');
}
