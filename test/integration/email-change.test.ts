import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncryptionCodec } from '../../src/security/payload-codec.js';
import { sha256Hex } from '../../src/security/tokens.js';
import { decodedHistoryText } from '../support/history-text.js';
import { codeIn, stepApiClient } from '../support/http.js';
import { bearer, freshEmail, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const RETURN_TO = 'https://app.example/account/email';

describe('email-change@1 over the step API, from a session, on real Temporal, Postgres and SMTP', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({
      smtpUrl: smtp.url,
      env: { RETURN_TO_ALLOWED: 'https://app.example/account' },
    });
    api = stepApiClient(stack.url);
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  const startChange = (sessionToken: string | undefined, body?: unknown) =>
    api.call('POST', '/v1/journeys/email-change/start', {
      ...(body === undefined ? {} : { body }),
      headers: sessionToken ? bearer(sessionToken) : {},
    });
  const whoami = (sessionToken: string) =>
    api.call('GET', '/v1/sessions/whoami', { headers: bearer(sessionToken) });

  it('changes the address: a code to the new one, the old one told without a code, whoami shows the new one', async () => {
    const customer = await signUp(api, smtp);
    const newEmail = freshEmail('moved');
    const started = await startChange(customer.sessionToken, { return_to: RETURN_TO });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      journey: 'email-change',
      version: 1,
      status: 'active',
      step: { name: 'new-email' },
    });
    const { id, token } = started.body;

    const asked = await api.submit(id, token, 'new-email', { email: newEmail });
    expect(asked.status).toBe(200);
    expect(asked.body.step).toMatchObject({ name: 'verify-email', data: { email: newEmail } });
    const codeMail = await smtp.waitFor((message) => message.to.includes(newEmail));
    expect(codeMail.subject).toBe('Confirm your new Parcours email address');

    const done = await api.submit(id, token, 'verify-email', { code: codeIn(codeMail.text) });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: 'completed',
      result: { type: 'none' },
      return_to: RETURN_TO,
    });

    const notice = await smtp.waitFor(
      (message) => message.to.includes(customer.email) && /was changed/.test(message.subject),
    );
    expect(notice.subject).toBe('Your Parcours email address was changed');
    expect(notice.text).toContain(`${newEmail.slice(0, 1)}***@example.test`);
    expect(notice.text).not.toMatch(/\b\d{6}\b/);
    expect(notice.text).not.toContain(newEmail);

    expect((await whoami(customer.sessionToken)).body.identity).toEqual({
      id: customer.userId,
      email: newEmail,
    });
    // The run ends once the notice is out, as completed.
    await stack.temporal.workflow.getHandle(id).result();
    expect((await api.get(id, token)).body).toMatchObject({ status: 'completed' });
  });

  it('answers an address in use exactly like a free one, and tells its owner instead (no enumeration)', async () => {
    const owner = await signUp(api, smtp);
    const customer = await signUp(api, smtp);
    const attempt = async (email: string) => {
      const { id, token } = (await startChange(customer.sessionToken)).body;
      const asked = await api.submit(id, token, 'new-email', { email });
      const wrong = await api.submit(id, token, 'verify-email', { code: '000000' });
      // What an app could compare: statuses, and bodies without ids, addresses and times.
      const shape = (body: Record<string, unknown>) =>
        JSON.stringify(body, (key, value) =>
          ['id', 'email', 'expiresAt', 'resendAvailableAt', 'retryAt'].includes(key)
            ? typeof value
            : value,
        );
      return [asked.status, shape(asked.body), wrong.status, shape(wrong.body)];
    };
    const free = freshEmail('free');
    expect(await attempt(owner.email)).toEqual(await attempt(free));

    const told = await smtp.waitFor(
      (message) => message.to.includes(owner.email) && /another/.test(message.subject),
    );
    expect(told.subject).toBe(
      'Someone tried to use your email address on another Parcours account',
    );
    expect(told.text).not.toMatch(/\b\d{6}\b/);
    await smtp.waitFor((message) => message.to.includes(free));
    // The owner's address stays the owner's.
    expect((await whoami(owner.sessionToken)).body.identity.email).toBe(owner.email);
  });

  it('refuses to start without a session (401) or from one older than max_age (403 naming it)', async () => {
    const missing = await startChange(undefined);
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ code: 'session_required' });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="parcours"');

    const customer = await signUp(api, smtp);
    const authTime = new Date(Date.now() - 20 * 60_000);
    await stack.prisma.session.update({
      where: { tokenHash: sha256Hex(customer.sessionToken) },
      data: { authTime },
    });
    const stale = await startChange(customer.sessionToken);
    expect(stale.status).toBe(403);
    expect(stale.contentType).toMatch(/^application\/problem\+json/);
    expect(stale.body).toMatchObject({
      code: 'reauthentication_required',
      requirement: { max_age: 900 },
      session: { aal: 1, auth_time: authTime.toISOString() },
    });

    await api.call('DELETE', '/v1/sessions/current', { headers: bearer(customer.sessionToken) });
    expect((await startChange(customer.sessionToken)).status).toBe(401);
  });

  it('refuses start input it does not know, and a return_to outside the allow-list (422 with paths)', async () => {
    const customer = await signUp(api, smtp);
    const refused = await startChange(customer.sessionToken, {
      return_to: 'https://evil.example/account',
      user_id: 'someone-else',
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { path: '/user_id', code: 'unknown_field', message: "Unknown field 'user_id'" },
    ]);
    const elsewhere = await startChange(customer.sessionToken, {
      return_to: 'https://evil.example/account',
    });
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.errors).toEqual([
      expect.objectContaining({ path: '/return_to', code: 'return_to_not_allowed' }),
    ]);
  });

  it('fails, changing nothing, when the session is logged out before the change is made', async () => {
    const customer = await signUp(api, smtp);
    const newEmail = freshEmail('late');
    const { id, token } = (await startChange(customer.sessionToken)).body;
    await api.submit(id, token, 'new-email', { email: newEmail });
    const mail = await smtp.waitFor((message) => message.to.includes(newEmail));
    await api.call('DELETE', '/v1/sessions/current', { headers: bearer(customer.sessionToken) });
    const done = await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
    expect(done.body).toMatchObject({ status: 'failed', error: { code: 'session_required' } });
    const identifiers = await stack.prisma.identifier.findMany({
      where: { userId: customer.userId },
    });
    expect(identifiers.map((identifier) => identifier.value)).toEqual([customer.email]);
  });

  it('hands the workflow a reference to the session, never its token', async () => {
    const customer = await signUp(api, smtp);
    const { id, token } = (await startChange(customer.sessionToken)).body;
    // The first submission starts the run in Temporal (src/http/pending-runs.ts).
    await api.submit(id, token, 'new-email', { email: 'reference.only@example.com' });
    const history = await stack.temporal.workflow.getHandle(id).fetchHistory();
    const text = await decodedHistoryText(history, (payloads) =>
      createEncryptionCodec(stack.keyring, stack.runKeys).decode(payloads),
    );
    const session = await stack.prisma.session.findUniqueOrThrow({
      where: { tokenHash: sha256Hex(customer.sessionToken) },
    });
    expect(text).toContain(session.id);
    expect(text).not.toContain(customer.sessionToken);
    expect(text).not.toContain(session.tokenHash);
  });
});
