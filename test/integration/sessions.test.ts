import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/security/tokens.js';
import { stepApiClient } from '../support/http.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

describe('sessions for apps: whoami and logout, on real Temporal and Postgres', () => {
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

  const whoami = (headers: Record<string, string> = {}) =>
    api.call('GET', '/v1/sessions/whoami', { headers });

  it('whoami names the customer and what the session proves (aal, amr, auth_time per factor)', async () => {
    const customer = await signUp(api, smtp);
    const answer = await whoami(bearer(customer.sessionToken));
    expect(answer.status).toBe(200);
    // A session description is per customer: no cache may keep it (ASVS 8.2.1).
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      session: {
        id: expect.any(String),
        aal: 1,
        amr: ['pwd'],
        auth_time: expect.any(String),
        factors: [{ amr: 'pwd', auth_time: expect.any(String) }],
        expires_at: expect.any(String),
      },
      identity: { id: customer.userId, email: customer.email },
    });
    const { session } = answer.body;
    expect(session.factors[0].auth_time).toBe(session.auth_time);
    expect(Date.parse(session.expires_at)).toBeGreaterThan(Date.parse(session.auth_time));
  });

  it('answers 401 problem+json with an RFC 6750 challenge without a valid bearer token', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['no header', {}, 'Bearer realm="parcours"'],
      [
        'an unknown token',
        bearer('x'.repeat(43)),
        'Bearer realm="parcours", error="invalid_token"',
      ],
      [
        'another scheme',
        { authorization: 'Basic YWRhOnNlY3JldA==' },
        'Bearer realm="parcours", error="invalid_token"',
      ],
      [
        'a malformed token',
        { authorization: 'Bearer a b' },
        'Bearer realm="parcours", error="invalid_token"',
      ],
    ];
    for (const [label, headers, challenge] of cases) {
      const answer = await whoami(headers);
      expect(answer.status, label).toBe(401);
      expect(answer.contentType, label).toMatch(/^application\/problem\+json/);
      expect(answer.body, label).toMatchObject({ status: 401, code: 'session_required' });
      expect(answer.headers.get('www-authenticate'), label).toBe(challenge);
    }
  });

  it('logs out: the token stops working at once, and a second logout is 401', async () => {
    const customer = await signUp(api, smtp);
    const logout = await api.call('DELETE', '/v1/sessions/current', {
      headers: bearer(customer.sessionToken),
    });
    expect(logout.status).toBe(204);
    expect((await whoami(bearer(customer.sessionToken))).status).toBe(401);
    const again = await api.call('DELETE', '/v1/sessions/current', {
      headers: bearer(customer.sessionToken),
    });
    expect(again.status).toBe(401);
    const row = await stack.prisma.session.findUniqueOrThrow({
      where: { tokenHash: sha256Hex(customer.sessionToken) },
    });
    expect(row.revokedAt).not.toBeNull();
  });

  it('an expired session is no session (ASVS 3.3.1)', async () => {
    const customer = await signUp(api, smtp);
    await stack.prisma.session.update({
      where: { tokenHash: sha256Hex(customer.sessionToken) },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    expect((await whoami(bearer(customer.sessionToken))).status).toBe(401);
  });
});
