import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { WithStartWorkflowOperation, WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { Activities } from '../../src/activities/index.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { connectTemporalClient, journeyDataConverter } from '../../src/temporal/connection.js';
import {
  JOURNEY_WORKFLOW,
  settleUpdate,
  submitStepUpdate,
} from '../../src/temporal-contract/workflow-api.js';
import { createJourneyWorker } from '../../workers/worker.js';
import { bundleWithJourneys } from '../support/bundle-with-journeys.js';

const faultyJourneys = fileURLToPath(
  new URL('../fixtures/faulty-journey/journeys.ts', import.meta.url),
);
const keyring = createKeyring(generateKeySpec('test'));
const taskQueue = `faulty-${randomBytes(6).toString('hex')}`;
let worker: Worker;
let running: Promise<void>;
let temporal: Awaited<ReturnType<typeof connectTemporalClient>>;

beforeAll(async () => {
  // Journey events are the only activity this journey reaches; nothing else may be called.
  const activities = { recordJourneyEvents: async () => {} } as unknown as Activities;
  const address = inject('temporalAddress');
  ({ worker } = await createJourneyWorker({
    address,
    namespace: 'default',
    taskQueue,
    activities,
    dataConverter: journeyDataConverter(keyring),
    workflowBundle: await bundleWithJourneys(faultyJourneys),
  }));
  running = worker.run();
  temporal = await connectTemporalClient({ address, namespace: 'default', keyring });
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await temporal?.connection.close();
});

it('fails the run cleanly when an action inside the journey throws, instead of hanging', async () => {
  const workflowId = `jrn_faulty_${randomBytes(8).toString('hex')}`;
  const first = await temporal.client.workflow.executeUpdateWithStart(settleUpdate, {
    startWorkflowOperation: new WithStartWorkflowOperation(JOURNEY_WORKFLOW, {
      workflowId,
      taskQueue,
      args: [{ journey: 'faulty', version: 1 }],
      workflowIdConflictPolicy: 'FAIL',
    }),
  });
  expect(first.step?.name).toBe('start');

  const handle = temporal.client.workflow.getHandle(workflowId);
  const answer = await handle.executeUpdate(submitStepUpdate, {
    args: [{ step: 'start', input: { go: true } }],
  });
  expect(answer).toMatchObject({ status: 'failed', error: { code: 'journey_error' } });

  const failure = await handle.result().catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toMatchObject({
    type: 'journey_machine_error',
    message: expect.stringContaining('an action broke'),
  });
});
