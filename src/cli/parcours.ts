// `npx parcours journeys <command>`: the journey author's tools. Each command is its own module
// under journeys/; this file reads the arguments, dispatches, and turns mistakes into exit codes.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ADMIN_GROUPS, type AdminGroup, adminUsage, runAdminCommand } from './admin-commands.js';
import { checkJourneys } from './journeys/check.js';
import { graphJourney } from './journeys/graph.js';
import { listJourneys } from './journeys/list.js';
import { type Io, UsageError } from './journeys/load.js';
import { journeyPathsCommand } from './journeys/paths.js';
import { simulateJourney } from './journeys/simulate.js';

export const usage = `Usage: parcours journeys <command> [options]

Commands:
  list                     every journey: id@version, title, steps, activities, fragments
  check [journeys.ts]      the checks the worker runs at start; exits 1 naming journey, version, state
  graph <id>               the journey's diagram
      --view full|steps      full statechart (engineers, default) or steps, outcomes, timers (product)
      --format mermaid|html|svg   Mermaid text (default), a self-contained page, or an SVG (Chromium)
      --out <file>           write there instead of to stdout
  simulate <id>            runs the journey in memory and prints what the customer sees at each step
      --input <file>         the simulation (default journeys/simulations/<id>@<version>.json)
  paths <id>               every path from the start to each final state, as a vitest skeleton
      --input <file>         inputs and activity outcomes to try (default: the simulation file)
      --limit <n>            at most n paths (default 200)
      --out <file>           write there instead of to stdout

<id> is id@version, or id for its newest version. Every command takes --journeys <file>, a module
exporting journeyModules (default journeys/modules.ts).

${adminUsage}`;

/** Runs `parcours <args>`: 0 done, 1 the journey or its input is at fault, 2 a usage mistake. */
export async function runParcours(args: string[], io: Io): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        journeys: { type: 'string' },
        view: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        input: { type: 'string' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        api: { type: 'string' },
        name: { type: 'string' },
        kind: { type: 'string' },
        attributes: { type: 'string' },
        purposes: { type: 'string' },
        'data-limit': { type: 'string' },
        profiling: { type: 'string' },
        schema: { type: 'string' },
        read: { type: 'string' },
        write: { type: 'string' },
        owner: { type: 'string' },
        sensitive: { type: 'boolean' },
        'grants-access': { type: 'boolean' },
        description: { type: 'string' },
        apps: { type: 'string' },
        version: { type: 'string' },
        locale: { type: 'string' },
        file: { type: 'string' },
        material: { type: 'boolean' },
        effective: { type: 'string' },
        policy: { type: 'string' },
        required: { type: 'boolean' },
        'validity-days': { type: 'string' },
        'client-type': { type: 'string' },
        'redirect-uris': { type: 'string' },
        'post-logout-uris': { type: 'string' },
        scopes: { type: 'string' },
        'grant-types': { type: 'string' },
        'backchannel-logout-uri': { type: 'string' },
      },
    });
    const [group, command, subject, ...extra] = positionals;
    if (values.help || group === 'help' || !group) {
      io.out(usage);
      return group || values.help ? 0 : 2;
    }
    if ((ADMIN_GROUPS as readonly string[]).includes(group)) {
      if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
      return await runAdminCommand(group as AdminGroup, command, subject, values, io);
    }
    if (group !== 'journeys') throw new UsageError(`unknown command '${group}'`);
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    switch (command) {
      case 'list':
        return await listJourneys(values, io);
      case 'check':
        return await checkJourneys({ journeys: values.journeys ?? subject }, io);
      case 'graph':
        return await graphJourney(subject, values, io);
      case 'simulate':
        return await simulateJourney(subject, values, io);
      case 'paths':
        return await journeyPathsCommand(subject, values, io);
      default:
        throw new UsageError(command ? `unknown command 'journeys ${command}'` : 'name a command');
    }
  } catch (error) {
    const usageMistake =
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    io.err(error instanceof Error ? error.message : String(error));
    if (!usageMistake) return 1;
    io.err(`\n${usage}`);
    return 2;
  }
}

/** Runs the program on `process.argv`, printing to the terminal. */
export async function main(): Promise<void> {
  // Piped into `head`: a closed stdout is the reader being done, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const io: Io = { out: (text) => console.log(text), err: (text) => console.error(text) };
  process.exitCode = await runParcours(process.argv.slice(2), io);
}

// Run when started as a program (`node --import tsx src/cli/parcours.ts`); bin/parcours.mjs calls main().
const started = process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href;
if (started === import.meta.url) await main();
