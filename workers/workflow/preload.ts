// Evaluated once per worker, before any run, and shared by every run of the worker's V8 context
// (`bundlerOptions.preloadModules`): without it the sandbox evaluates xstate and zod again for each
// run. The SDK deep-freezes what this module reaches once it has run, so:
// - it exports the namespaces: xstate declares `sideEffects: false` and a bare import is dropped;
// - it fills zod's lazy caches now, which a frozen object could no longer take;
// - no regex of these modules may run through zod's checks (they reset `lastIndex`, which a frozen
//   regex refuses): journeys bring their own (see emailField).
import * as xstate from 'xstate';
import * as zod from 'zod';
import { util } from 'zod/v4/core';

// zod sets its default locale on the first schema it builds, its memoizer on the first container
// (an object), and probes eval once.
zod.z.object({ warm: zod.z.string() }).safeParse({ warm: '' });
void util.allowsEval.value;

export { xstate, zod };
