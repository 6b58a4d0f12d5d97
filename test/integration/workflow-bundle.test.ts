import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowsPath } from '../../workers/worker.js';

const forbiddenJourneyWorkflows = fileURLToPath(
  new URL('../fixtures/forbidden-journey/workflows.ts', import.meta.url),
);

/** Webpack's report goes to `logger.error`; keep it for the assertions, off the test output. */
function capturingLogger() {
  const lines: string[] = [];
  const keep = (message: string) => void lines.push(message);
  const ignore = () => {};
  return {
    lines,
    logger: { log: keep, trace: ignore, debug: ignore, info: ignore, warn: keep, error: keep },
  };
}

// Journeys run inside Temporal's deterministic sandbox: the bundling a worker does at start must
// refuse I/O in journey code, so CI fails long before a worker would.
describe('workflow bundle', () => {
  it('bundles the journey workflow and every registered journey for the sandbox', async () => {
    const { logger, lines } = capturingLogger();
    const { code } = await bundleWorkflowCode({ workflowsPath, logger });
    expect(code).toContain('journeyWorkflow');
    expect(code).toContain('Sign up with email and password');
    expect(lines).toEqual([]);
  });

  it('refuses a journey that imports a Node builtin (node:fs), naming the import and the journey file', async () => {
    const { logger, lines } = capturingLogger();
    const bundling = bundleWorkflowCode({ workflowsPath: forbiddenJourneyWorkflows, logger });
    // A bare `fs` gets Temporal's own "disallowed modules" error; the `node:fs` form the house style
    // writes fails one step earlier, in webpack, which has no reader for the `node:` scheme.
    await expect(bundling).rejects.toThrow(/^Webpack finished with errors/);
    const report = lines.join('\n');
    expect(report).toContain('ERROR in node:fs');
    expect(report).toContain('UnhandledSchemeError: Reading from "node:fs"');
    expect(report).toContain('./test/fixtures/forbidden-journey/settings-from-disk.journey.ts');
  });
});
