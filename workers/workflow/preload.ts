// Evaluated once per worker, before any run, and shared by every run of the worker's V8 context
// (`bundlerOptions.preloadModules`, with the workflow module itself): without it the sandbox
// evaluates the journeys, their machines and schemas, xstate and zod again for each run, and each
// waiting run keeps its own copy (docs/performance.md). The SDK deep-freezes what the preload
// reached once it has run, so a run that writes to a shared object fails loudly instead of leaking
// into the next run; and so:
// - it exports the namespaces: xstate declares `sideEffects: false` and a bare import is dropped;
// - zod schemas stay out of the freeze (patches/@temporalio+worker+*.patch): they cache what they
//   derive on themselves, the same for every run;
// - zod resets `lastIndex` only on global or sticky patterns (patches/zod+*.patch): a journey's
//   own regex constant is frozen, and a frozen regex refuses the write.
// No module of the sandbox may keep a run's state in a variable of its own either
// (test/unit/sandbox-imports.test.ts).
import * as xstate from 'xstate';
import * as zod from 'zod';
import { util } from 'zod/v4/core';
import { journeyModules } from '../../journeys/modules.js';

// zod sets its default locale on the first schema it builds, its memoizer on the first container
// (an object), and probes eval once.
zod.z.object({ warm: zod.z.string() }).safeParse({ warm: '' });
void util.allowsEval.value;

// Every journey, evaluated now into the shared cache. `import()` of an eager module settles in
// microtasks, and the SDK drains them before it freezes what the preload reached.
for (const load of Object.values(journeyModules)) void load();

export { xstate, zod };
