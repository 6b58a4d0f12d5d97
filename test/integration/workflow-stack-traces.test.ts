import { afterAll, expect, it } from 'vitest';
import { stepApiClient } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

// patches/@temporalio+worker+1.24.0.patch lets a worker skip the SDK's promise hook, which costs a
// captured, source-mapped stack trace for every promise a run creates (docs/performance-history.md).
const stacks: Stack[] = [];
afterAll(async () => {
  for (const stack of stacks) await stack.stop();
});

async function stackTraceOfNewRun(env: Record<string, string>): Promise<unknown> {
  const stack = await startStack({ env });
  stacks.push(stack);
  const api = stepApiClient(stack.url);
  const { id, token } = (await api.start()).body;
  // The first submission starts the run in Temporal (src/http/pending-runs.ts).
  await api.submit(id, token, 'credentials', {
    email: 'stack.traces@example.com',
    password: 'a run to ask for its stack',
  });
  return stack.temporal.workflow
    .getHandle(id)
    .query<string>('__stack_trace')
    .catch((error: Error) => error);
}

it('refuses the stack trace query by default: the promise hook is off (the SDK patch applies)', async () => {
  expect(await stackTraceOfNewRun({})).toMatchObject({ name: 'QueryNotRegisteredError' });
});

it('answers the stack trace query of a worker started with WORKFLOW_STACK_TRACES=on', async () => {
  const trace = await stackTraceOfNewRun({ WORKFLOW_STACK_TRACES: 'on' });
  expect(typeof trace).toBe('string');
  expect(trace).toContain('journey-workflow');
});
