import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeyring } from '../../src/security/keyring.js';
import { journeyDataConverter } from '../../src/temporal/connection.js';
import { JOURNEY_WORKFLOW } from '../../src/temporal-contract/workflow-api.js';
import { bundleWithJourneys } from '../support/bundle-with-journeys.js';
import {
  historyFromJson,
  historyToJson,
  readHistoryFile,
  recordRegistration,
  registrationHistoryFixtures,
  testKeySpec,
} from '../support/record-registration.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

/*
 * Replay: the workflow and journey code of today must make, step for step, the decisions recorded
 * in histories of yesterday, or every run still open on a deploy breaks. The checked-in histories
 * (test/fixtures/histories/registration-v*.json, payloads encrypted with the public test-only key
 * beside them) are registration runs, wrong code included: registration@1 on each workflow type a
 * run may still be open on (engine 1 and engine 2), and registration@2 on engine 2 and on engine 3
 * (what new runs start on), replayed on every change.
 *
 * When this test fails, the change is not compatible with runs already started on that version.
 * Do not re-record the fixture to make it pass: ship the change as a new version (as registration@2
 * was, registered beside @1 while @1 runs are open) and record a fixture for the new version too.
 * Re-record (`npx tsx scripts/record-history.ts`, the latest version's) only when a change is
 * compatible and you want the fixture to show it, or when a version is retired (then delete its
 * fixtures with it). A
 * change to the engine's own commands ships as a new workflow type beside the old one, as engines 2 and 3
 * did (workers/workflow/journey-workflow.ts), with a fixture of its own.
 */

const workflowTypeOf = (history: History) =>
  history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

const changedJourneys = fileURLToPath(
  new URL('../fixtures/histories/registration-v1-changed.journeys.ts', import.meta.url),
);

describe('replay of recorded journey histories (determinism across deploys)', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let dataConverter: ReturnType<typeof journeyDataConverter>;
  let workflowBundle: { code: string };
  let fixture: History;
  let engine2Fixture: History;
  let v2engine2Fixture: History;
  let latestFixture: History;

  beforeAll(async () => {
    const keySpec = await testKeySpec();
    dataConverter = journeyDataConverter(createKeyring(keySpec));
    workflowBundle = { code: await readFile(inject('workflowBundlePath'), 'utf8') };
    fixture = await readHistoryFile(registrationHistoryFixtures.engine1);
    engine2Fixture = await readHistoryFile(registrationHistoryFixtures.engine2);
    v2engine2Fixture = await readHistoryFile(registrationHistoryFixtures.v2engine2);
    latestFixture = await readHistoryFile(registrationHistoryFixtures.latest);
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, keySpec });
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  it('replays the checked-in registration@1 history of engine 1 (journeyWorkflow) on the current code', async () => {
    expect(fixture.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    expect(workflowTypeOf(fixture)).toBe('journeyWorkflow');
    await Worker.runReplayHistory({ workflowBundle, dataConverter }, fixture);
  });

  it('replays the checked-in registration@1 history of engine 2 (journeyWorkflowV2) on the current code', async () => {
    expect(engine2Fixture.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    expect(workflowTypeOf(engine2Fixture)).toBe('journeyWorkflowV2');
    await Worker.runReplayHistory({ workflowBundle, dataConverter }, engine2Fixture);
  });

  it('replays the checked-in registration@2 history of engine 2 (journeyWorkflowV2) on the current code', async () => {
    expect(v2engine2Fixture.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    expect(workflowTypeOf(v2engine2Fixture)).toBe('journeyWorkflowV2');
    await Worker.runReplayHistory({ workflowBundle, dataConverter }, v2engine2Fixture);
  });

  it('replays the checked-in registration@2 history of engine 3, what new runs start on, on the current code', async () => {
    expect(latestFixture.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    expect(workflowTypeOf(latestFixture)).toBe(JOURNEY_WORKFLOW);
    await Worker.runReplayHistory({ workflowBundle, dataConverter }, latestFixture);
  });

  it('replays a registration recorded now, also after a round trip through the fixture format', async () => {
    const { history } = await recordRegistration({
      url: stack.url,
      smtp,
      temporal: stack.temporal,
      email: 'fresh.replay@example.com',
      password: 'replayed from the top',
    });
    // Sealed with the run's own key too: replayed as the worker reads it, with the run keys.
    const withRunKeys = journeyDataConverter(stack.keyring, stack.runKeys);
    await Worker.runReplayHistory({ workflowBundle, dataConverter: withRunKeys }, history);
    await Worker.runReplayHistory(
      { workflowBundle, dataConverter: withRunKeys },
      historyFromJson(historyToJson(history)),
    );
  });

  it('fails the replay of either engine when registration@1 is changed in place (so CI catches it)', async () => {
    const { code } = await bundleWithJourneys(changedJourneys);
    expect(code).toContain('registration-v1-changed.journeys.ts');
    for (const history of [fixture, engine2Fixture]) {
      const replay = Worker.runReplayHistory({ workflowBundle: { code }, dataConverter }, history);
      // The history has the email's delivery scheduled where the changed code starts a timer.
      await expect(replay).rejects.toMatchObject({
        name: 'DeterminismViolationError',
        message: expect.stringMatching(/Nondeterminism error: .*ActivityTaskScheduled/),
      });
    }
  });
});
