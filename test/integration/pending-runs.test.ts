import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { stepApiClient } from '../support/http.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

/** The first step's inactivity timeout here: short, so the sweep's work shows within a test. */
const STEP_TIMEOUT_MS = 1_500;
const PASSWORD = 'a pending run waits for this';

/**
 * A run that waits for its customer first is opened by the step API and started in Temporal by its
 * first submission (src/http/pending-runs.ts). Whatever comes first, the submission or the sweep of
 * runs never submitted, each run is started once and counted once.
 */
describe('runs opened at their first step, started by their first submission or by the sweep', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url, stepTimeoutMs: STEP_TIMEOUT_MS });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  const eventsOf = (journeyId: string) =>
    stack.prisma.journeyEvent.findMany({ where: { journeyId }, orderBy: { seq: 'asc' } });
  const startsIn = async (id: string) => {
    const history = await stack.temporal.workflow.getHandle(id).fetchHistory();
    return (history.events ?? []).filter((event) => event.workflowExecutionStartedEventAttributes)
      .length;
  };

  it('ends a run never submitted abandoned at its first step, at its deadline, once; a late submission then finds it closed', async () => {
    const { id, token } = (await api.start()).body;
    const opened = await stack.prisma.pendingRun.findUniqueOrThrow({ where: { id } });
    const ended = await eventually(
      'the sweep started the run and it ended abandoned',
      async () => {
        const events = await eventsOf(id);
        return events.some((event) => event.type === 'abandoned') ? events : undefined;
      },
      15_000,
    );
    expect(ended.map((event) => [event.seq, event.type, event.step])).toEqual([
      [1, 'started', null],
      [2, 'step_entered', 'credentials'],
      [3, 'abandoned', 'credentials'],
    ]);
    // Recorded at the step's deadline, not when the sweep came by.
    expect((ended[2]?.at.getTime() ?? 0) - opened.openedAt.getTime()).toBe(STEP_TIMEOUT_MS);
    expect(await stack.prisma.pendingRun.findUnique({ where: { id } })).toBeNull();

    const late = await api.submit(id, token, 'credentials', {
      email: 'too.late@example.com',
      password: PASSWORD,
    });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'journey_closed', view: { status: 'abandoned' } });
    expect(await startsIn(id)).toBe(1);
    expect((await eventsOf(id)).map((event) => event.type)).toEqual([
      'started',
      'step_entered',
      'abandoned',
    ]);
  });

  it('counts a first submission the API refuses (a weak password): the run starts to be told', async () => {
    const { id, token } = (await api.start()).body;
    const refused = await api.submit(id, token, 'credentials', {
      email: 'weak.first@example.com',
      password: 'password1234',
    });
    expect(refused.status).toBe(422);
    // The run goes on from where it stands: the next submission is its first accepted one.
    const next = await api.submit(id, token, 'credentials', {
      email: 'weak.first@example.com',
      password: PASSWORD,
    });
    expect(next.body).toMatchObject({ step: { name: 'verify-email' } });
    // Written as the step was answered: where the run waits, and the refusal before it.
    expect(
      (await eventsOf(id)).map((event) => [
        event.type,
        event.step,
        (event.detail as { code?: string } | null)?.code,
      ]),
    ).toEqual([
      ['started', null, undefined],
      ['step_entered', 'credentials', undefined],
      ['step_submitted', 'credentials', undefined],
      ['step_rejected', 'credentials', 'password_common'],
      ['step_submitted', 'credentials', undefined],
      ['step_entered', 'verify-email', undefined],
    ]);
    expect(await startsIn(id)).toBe(1);
  });

  it('starts one workflow when two first submissions race, and enters one of them', async () => {
    const { id, token } = (await api.start()).body;
    const answers = await Promise.all(
      ['race.one@example.com', 'race.two@example.com'].map((email) =>
        api.submit(id, token, 'credentials', { email, password: PASSWORD }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 409]);
    expect(await startsIn(id)).toBe(1);
    const events = await eventsOf(id);
    expect(events.filter((event) => event.type === 'started')).toHaveLength(1);
    expect(
      events.filter((event) => event.type === 'step_entered').map((event) => event.step),
    ).toEqual(['credentials', 'verify-email']);
  });

  it('drops a row whose sealed arguments were moved to another run id, starting nothing (trust boundary: the table)', async () => {
    const { id } = (await api.start()).body;
    const row = await stack.prisma.pendingRun.findUniqueOrThrow({ where: { id } });
    const forged = `${id.slice(0, -4)}XXXX`;
    await stack.prisma.pendingRun.create({
      data: { id: forged, args: row.args, openedAt: row.openedAt, sweepAt: new Date(0) },
    });
    await eventually(
      'the sweep dropped the forged row',
      async () =>
        (await stack.prisma.pendingRun.findUnique({ where: { id: forged } })) ? undefined : true,
      10_000,
    );
    await expect(stack.temporal.workflow.getHandle(forged).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });
});
