import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeIn, stepApiClient } from '../support/http.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

/*
 * Regression for 37e3e95. The sandbox's global setTimeout keeps handle → timer in one map shared by
 * every workflow in the worker's V8 context, and a handle is a per-run timer number: two runs of
 * one journey get the same handles. Before XState had its own clock, a journey leaving
 * verify-email cancelled the code timers of the run that started its timers last; that run then
 * cancelled them again itself: TMPRL1100, a failed workflow task, and its retry met a used code.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let smtp: SmtpSink;
let stack: Stack;

beforeAll(async () => {
  smtp = await startSmtpSink();
  stack = await startStack({ smtpUrl: smtp.url });
});
afterAll(async () => {
  await stack?.stop();
  await smtp?.close();
});

const history = async (id: string): Promise<HistoryEvent[]> =>
  (await stack.temporal.workflow.getHandle(id).fetchHistory()).events ?? [];

it('verifies the codes of two registrations interleaved on one worker without a failed workflow task', async () => {
  const api = stepApiClient(stack.url);
  // Both runs reach verify-email (each starts its code timers) before either code is submitted.
  const runs = [];
  for (const email of ['first@example.com', 'second@example.com']) {
    const { id, token } = (await api.start()).body;
    const credentials = await api.submit(id, token, 'credentials', {
      email,
      password: `two journeys, one worker: ${email}`,
    });
    expect(credentials.body.step?.name).toBe('verify-email');
    const mail = await smtp.waitFor((message) => message.to.includes(email), 20_000);
    runs.push({ id, token, code: codeIn(mail.text) });
  }

  const verified = [];
  for (const run of runs)
    verified.push(await api.submit(run.id, run.token, 'verify-email', { code: run.code }));

  for (const run of runs) {
    const failedTasks = (await history(run.id)).flatMap((event) =>
      event.workflowTaskFailedEventAttributes
        ? [event.workflowTaskFailedEventAttributes.failure?.message]
        : [],
    );
    expect(failedTasks).toEqual([]);
  }
  expect(verified.map((answer) => [answer.status, answer.body.step?.name])).toEqual([
    [200, 'terms'],
    [200, 'terms'],
  ]);

  for (const run of runs) {
    const done = await api.submit(run.id, run.token, 'terms', {
      accept: true,
      policyVersion: '2026-11-01',
    });
    expect(done.body.status).toBe('completed');
    // Each run cancelled only timers of its own. The one its delays shared when it completed is
    // left to Temporal, which drops a closed run's timers (workers/workflow/timer-wheel.ts).
    const events = await history(run.id);
    const started = events.flatMap((event) => event.timerStartedEventAttributes?.timerId ?? []);
    const ended = events.flatMap(
      (event) =>
        event.timerCanceledEventAttributes?.timerId ??
        event.timerFiredEventAttributes?.timerId ??
        [],
    );
    expect(started.filter((id) => !ended.includes(id))).toHaveLength(1);
    expect(ended.filter((id) => !started.includes(id))).toEqual([]);
  }
});
