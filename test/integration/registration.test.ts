import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/security/password-hash.js';
import { sha256Hex } from '../../src/security/tokens.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

describe('registration over the step API, on real Temporal, Postgres and SMTP', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  // registration@1 stays for its runs in flight and behaves as it did; new runs start on @2.
  it.each([
    [1, {}],
    [2, { type: 'session' }],
  ])(
    'registers a customer with a verified email and returns the session token once (registration@%i)',
    async (version, result) => {
      const email = `Ada.Lovelace.${version}@Example.COM`;
      const canonical = email.toLowerCase();
      const started = await api.start('registration', version);
      expect(started.status).toBe(201);
      expect(started.body).toMatchObject({
        journey: 'registration',
        version,
        status: 'active',
        step: { name: 'credentials' },
      });
      expect(started.body.step?.schema).toMatchObject({
        type: 'object',
        required: ['email', 'password'],
        additionalProperties: false,
      });
      const { id, token } = started.body;

      const credentials = await api.submit(id, token, 'credentials', {
        email: `  ${email} `,
        password: 'analytical engine 1843',
      });
      expect(credentials.status).toBe(200);
      expect(credentials.body.step).toMatchObject({
        name: 'verify-email',
        data: { email: canonical, codeLength: 6, attemptsLeft: 5 },
      });

      const mail = await smtp.waitFor((message) => message.to.includes(canonical));
      const verified = await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
      expect(verified.body.step).toMatchObject({
        name: 'terms',
        data: { policyVersion: '2026-11-01' },
      });

      const done = await api.submit(id, token, 'terms', {
        accept: true,
        policyVersion: '2026-11-01',
      });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({
        status: 'completed',
        result: { ...result, session: { aal: 1, amr: ['pwd'] } },
      });
      const sessionToken: string = done.body.result.session.token;
      // ≥ 128 bits from a CSPRNG, stored only as a hash (ASVS 3.2.2, 3.5.2).
      expect(Buffer.from(sessionToken, 'base64url').length).toBeGreaterThanOrEqual(16);
      const session = await stack.prisma.session.findUniqueOrThrow({
        where: { tokenHash: sha256Hex(sessionToken) },
      });
      expect(session).toMatchObject({ aal: 1, amr: ['pwd'], userId: done.body.result.user.id });

      const again = await api.get(id, token);
      expect(again.body.status).toBe('completed');
      expect(again.body.result.session).not.toHaveProperty('token');

      const user = await stack.prisma.user.findUniqueOrThrow({
        where: { id: done.body.result.user.id },
        include: { identifiers: true, credentials: true, consents: true },
      });
      expect(user.identifiers).toMatchObject([
        { type: 'email', value: canonical, verifiedAt: expect.any(Date) },
      ]);
      const [password] = user.credentials;
      expect(password?.secretHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(await verifyPassword(password?.secretHash as string, 'analytical engine 1843')).toBe(
        true,
      );
      expect(user.consents).toMatchObject([
        { purpose: 'terms', policyVersion: '2026-11-01', action: 'granted', source: id },
      ]);
    },
  );

  it('records the journey events an analyst counts, in order, by the time the run completes', async () => {
    const started = await api.start();
    const { id, token } = started.body;
    await api.submit(id, token, 'credentials', {
      email: 'events@example.com',
      password: 'a quiet funnel of steps',
    });
    const mail = await smtp.waitFor((message) => message.to.includes('events@example.com'));
    const code = codeIn(mail.text);
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await api.submit(id, token, 'verify-email', { code: wrong })).status).toBe(422);
    await api.submit(id, token, 'verify-email', { code });
    const done = await api.submit(id, token, 'terms', {
      accept: true,
      policyVersion: '2026-11-01',
    });
    expect(done.body.status).toBe('completed');
    // Events ride along with the run's next activity; the last of them are written as it ends.
    const events = await stack.prisma.journeyEvent.findMany({
      where: { journeyId: id },
      orderBy: { seq: 'asc' },
    });
    expect(events.map((event) => [event.seq, event.type, event.step])).toEqual([
      [1, 'started', null],
      [2, 'step_entered', 'credentials'],
      [3, 'step_submitted', 'credentials'],
      [4, 'step_entered', 'verify-email'],
      [5, 'step_submitted', 'verify-email'],
      [6, 'step_rejected', 'verify-email'],
      [7, 'step_submitted', 'verify-email'],
      [8, 'step_entered', 'terms'],
      [9, 'step_submitted', 'terms'],
      [10, 'completed', null],
    ]);
    expect(events[5]?.detail).toEqual({ code: 'invalid_code' });
  });

  it('opens a run at its first step without a workflow: counted at once, shown by the journey itself; the first submission starts it in one call', async () => {
    const started = await api.start();
    expect(started.body).toMatchObject({ status: 'active', step: { name: 'credentials' } });
    const { id, token } = started.body;
    const handle = stack.temporal.workflow.getHandle(id);
    await expect(handle.describe()).rejects.toThrow(/not found/i);
    // The funnel counts it already: started, and at its first step.
    const opening = await stack.prisma.journeyEvent.findMany({
      where: { journeyId: id },
      orderBy: { seq: 'asc' },
    });
    expect(opening.map((event) => [event.seq, event.type, event.step])).toEqual([
      [1, 'started', null],
      [2, 'step_entered', 'credentials'],
    ]);
    // Its view is the journey's, the same as the start's answer.
    expect((await api.get(id, token)).body).toEqual(
      Object.fromEntries(Object.entries(started.body).filter(([key]) => key !== 'token')),
    );
    // Its arguments wait sealed, bound to the run: nothing of the start readable in the table.
    const row = await stack.prisma.pendingRun.findUniqueOrThrow({ where: { id } });
    expect(Buffer.from(row.args).toString('latin1')).not.toContain('registration');

    const next = await api.submit(id, token, 'credentials', {
      email: 'opened.late@example.com',
      password: 'a pending run starts now',
    });
    expect(next.body).toMatchObject({ status: 'active', step: { name: 'verify-email' } });
    expect(await stack.prisma.pendingRun.findUnique({ where: { id } })).toBeNull();
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((event) => event.workflowExecutionStartedEventAttributes)).toHaveLength(1);
    expect(
      events.filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes),
    ).toHaveLength(1);
    const { searchAttributes } = await handle.describe();
    expect(searchAttributes.ParcoursStep).toEqual(['verify-email']);
  });

  // Many runs share one worker's sandbox: none may disturb another (see interleaved-journeys).
  it('completes concurrent registrations without a single failed workflow task', async () => {
    const runs = await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        const email = `concurrent-${index}@example.com`;
        const { id, token } = (await api.start()).body;
        await api.submit(id, token, 'credentials', {
          email,
          password: `parallel lives number ${index}`,
        });
        const mail = await smtp.waitFor((message) => message.to.includes(email), 20_000);
        const verified = await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
        const done = await api.submit(id, token, 'terms', {
          accept: true,
          policyVersion: '2026-11-01',
        });
        return { id, verified: verified.status, status: done.body.status };
      }),
    );
    expect(runs.map((run) => [run.verified, run.status])).toEqual(
      runs.map(() => [200, 'completed']),
    );
    for (const run of runs) {
      const history = await stack.temporal.workflow.getHandle(run.id).fetchHistory();
      expect(history.events?.filter((event) => event.workflowTaskFailedEventAttributes)).toEqual(
        [],
      );
    }
  });
});
