import { randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  SessionGrant,
  SessionRef,
  SessionRequirement,
} from '../../src/journey-kit/define-journey.js';
import type { RunState } from '../../src/run/run-state.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { createSessionGrants } from '../../src/sessions/session-grant.js';
import { JOURNEY_WORKFLOW } from '../../src/temporal-contract/workflow-api.js';
import type { journeyWorkflowV3 } from '../../workers/workflow/journey-workflow.js';
import { stepApiClient } from '../support/http.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

/*
 * Security review, item 1 (high): `POST /codec/encode` let a caller start `journeyWorkflowV3` for
 * mfa-enrolment directly on Temporal with `session: { userId: <victim> }`, enrol its own passkey on
 * the victim's account and sign in as the victim at aal 2. Whoever can put a run's arguments into
 * Temporal (here: a client holding the payload key, as a codec encoder would) must not be able to
 * change any account: the worker takes a session only with the API's grant for that very run and
 * journey, and re-reads the session before every change (ASVS 5.0 V8.2.1, V7.2.1).
 */
describe('a run started on Temporal with forged arguments changes no account', () => {
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

  /** A signed-up customer, their session as the database holds it, and what their account holds. */
  async function victim() {
    const customer = await signUp(api, smtp);
    const row = await stack.prisma.session.findFirstOrThrow({
      where: { userId: customer.userId },
    });
    const session: SessionRef = {
      id: row.id,
      userId: row.userId,
      aal: 2,
      amr: ['pwd', 'hwk', 'user', 'mfa'],
      authTime: new Date().toISOString(),
      factorAuthTimes: {},
    };
    return {
      customer,
      session: { ...session, aal: row.aal, amr: row.amr } as SessionRef,
      forged: session,
    };
  }

  const accountOf = async (userId: string) => ({
    credentials: await stack.prisma.credential.findMany({
      where: { userId },
      orderBy: { id: 'asc' },
      select: { id: true, type: true, confirmedAt: true, data: true },
    }),
    identifiers: await stack.prisma.identifier.findMany({
      where: { userId },
      select: { value: true, verifiedAt: true },
    }),
    sessions: await stack.prisma.session.findMany({
      where: { userId },
      orderBy: { id: 'asc' },
      select: { id: true, tokenHash: true, aal: true, amr: true, revokedAt: true },
    }),
  });

  /** Starts the workflow as an attacker would: straight on Temporal, arguments of its choosing. */
  async function startForged(options: {
    journey: string;
    start: Record<string, unknown>;
    session: SessionRef;
    workflowId?: string;
  }) {
    const workflowId = options.workflowId ?? `jrn_${randomBytes(18).toString('base64url')}`;
    const handle = await stack.temporal.workflow.start<typeof journeyWorkflowV3>(JOURNEY_WORKFLOW, {
      workflowId,
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [
        { journey: options.journey, version: 1, start: options.start, session: options.session },
      ],
    });
    let outcome: { view?: RunState; failure?: string };
    try {
      outcome = { view: await handle.result() };
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      outcome = { failure: (error.cause as { type?: string } | undefined)?.type ?? 'failed' };
    }
    return { workflowId, ...outcome };
  }

  const grantFor = (
    session: SessionRef,
    run: string,
    journey: string,
    demand: SessionRequirement = {},
    keyring = stack.keyring,
  ) =>
    createSessionGrants(keyring).sign(session, {
      run,
      journey,
      notAfter: new Date(Date.now() + 3_600_000).toISOString(),
      demand,
    });

  /** The run ended without acting: failed `session_required`, as a view or as the run itself. */
  const refused = (outcome: { view?: RunState; failure?: string }) =>
    expect(outcome.view?.error?.code ?? outcome.failure).toBe('session_required');

  it("the review's example: mfa-enrolment with `session: { userId: <victim> }` and no grant enrols nothing", async () => {
    const { customer, forged } = await victim();
    const before = await accountOf(customer.userId);
    for (const factor of ['passkey', 'totp', 'recovery_codes']) {
      const outcome = await startForged({
        journey: 'mfa-enrolment',
        start: { factor },
        session: forged,
      });
      refused(outcome);
      // Not even a challenge or a pending key was made for the victim.
      expect(
        await stack.prisma.webauthnChallenge.count({ where: { journeyId: outcome.workflowId } }),
      ).toBe(0);
    }
    expect(await accountOf(customer.userId)).toEqual(before);
  });

  it('a grant signed with another key, or a genuine grant for another run, proves nothing', async () => {
    const { customer, session } = await victim();
    const before = await accountOf(customer.userId);
    const otherKeys = createKeyring(generateKeySpec('attacker'));
    const id = `jrn_${randomBytes(18).toString('base64url')}`;
    refused(
      await startForged({
        workflowId: id,
        journey: 'mfa-enrolment',
        start: { factor: 'totp' },
        session: grantFor(session, id, 'mfa-enrolment@1', {}, otherKeys),
      }),
    );
    // Genuine, as an operator reading a real run's arguments would find it: for that run only.
    refused(
      await startForged({
        journey: 'mfa-enrolment',
        start: { factor: 'totp' },
        session: grantFor(session, 'jrn_the_real_run', 'mfa-enrolment@1'),
      }),
    );
    // Genuine, with its fields changed: the MAC covers every one.
    const raised = grantFor(session, id, 'mfa-enrolment@1');
    refused(
      await startForged({
        workflowId: `${id}x`,
        journey: 'mfa-enrolment',
        start: { factor: 'totp' },
        session: { ...raised, aal: 2, grant: { ...(raised.grant as SessionGrant), run: `${id}x` } },
      }),
    );
    expect(await accountOf(customer.userId)).toEqual(before);
  });

  it("a genuine grant for a step-up run cannot drive mfa-enrolment under that run's id", async () => {
    const { customer, session } = await victim();
    const before = await accountOf(customer.userId);
    const id = `jrn_${randomBytes(18).toString('base64url')}`;
    refused(
      await startForged({
        workflowId: id,
        journey: 'mfa-enrolment',
        start: { factor: 'passkey' },
        session: grantFor(session, id, 'step-up@1'),
      }),
    );
    expect(await accountOf(customer.userId)).toEqual(before);
  });

  it('a genuine grant for the run is held to the level its journey demanded, and to a live session', async () => {
    const { customer, session } = await victim();
    // The victim has an authenticator app and recovery codes, so a factor can be removed (at aal 2).
    const enrolment = await api.call('POST', '/v1/journeys/mfa-enrolment/start', {
      headers: bearer(customer.sessionToken),
    });
    const { id: run, token } = enrolment.body;
    const code = await generate({ secret: enrolment.body.step.data.secret });
    await api.submit(run, token, 'confirm-totp', { code });
    await api.submit(run, token, 'recovery-codes', { saved: true });
    expect(
      await stack.prisma.credential.count({
        where: { userId: customer.userId, type: 'recovery_code' },
      }),
    ).toBe(10);
    const before = await accountOf(customer.userId);
    const id = `jrn_${randomBytes(18).toString('base64url')}`;
    // The session is aal 1; the grant says factor-removal demanded aal 2.
    refused(
      await startForged({
        workflowId: id,
        journey: 'factor-removal',
        start: { factor: 'recovery_code' },
        session: grantFor(session, id, 'factor-removal@1', { aal: 2 }),
      }),
    );
    // Logged out: nothing is done for it, whatever the grant.
    await stack.prisma.session.update({
      where: { id: session.id },
      data: { revokedAt: new Date() },
    });
    const later = `jrn_${randomBytes(18).toString('base64url')}`;
    refused(
      await startForged({
        workflowId: later,
        journey: 'mfa-enrolment',
        start: { factor: 'totp' },
        session: grantFor(session, later, 'mfa-enrolment@1'),
      }),
    );
    const after = await accountOf(customer.userId);
    expect({ ...after, sessions: after.sessions.map(({ revokedAt: _, ...rest }) => rest) }).toEqual(
      {
        ...before,
        sessions: before.sessions.map(({ revokedAt: _, ...rest }) => rest),
      },
    );
  });
});
