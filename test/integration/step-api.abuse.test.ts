import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../src/http/app.js';
import { createJourneyTokens } from '../../src/http/journey-token.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { submitStepUpdate } from '../../src/temporal-contract/workflow-api.js';
import { startApiVariant } from '../support/api-variant.js';
import { eventually, sleepPast } from '../support/eventually.js';
import { type Answer, codeIn, stepApiClient } from '../support/http.js';
import { expectProblem, rawRequest } from '../support/raw-http.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

type StepApiClient = ReturnType<typeof stepApiClient>;

const PASSWORD = 'correct horse battery staple';
const TERMS_VERSION = '2026-11-01';

/** A six-digit code guaranteed to differ from `code`. */
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('the step API refuses abuse (real HTTP, Temporal, Postgres and SMTP)', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: StepApiClient;
  // The same worker and database behind APIs with short delays, so waiting stays short.
  let quickResend: Awaited<ReturnType<typeof startApiVariant>>;
  let quickExpiry: Awaited<ReturnType<typeof startApiVariant>>;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url });
    api = stepApiClient(stack.url);
    quickResend = await startApiVariant(stack, {
      journeySettings: { registration: { resendCooldownMs: 300 } },
    });
    quickExpiry = await startApiVariant(stack, {
      journeySettings: { registration: { codeTtlMs: 2_000 } },
    });
  });
  afterAll(async () => {
    await quickExpiry?.stop();
    await quickResend?.stop();
    await stack?.stop();
    await smtp?.close();
  });

  /** The next mail to `to` that arrived after `mark` messages. */
  const mailAfter = (mark: number, to: string) =>
    smtp.waitFor((message) => message.to === to && smtp.messages.indexOf(message) >= mark);

  /** A journey moved on to verify-email for `email`, with the code mailed to it. */
  async function atVerifyEmail(client: StepApiClient, email: string) {
    const mark = smtp.messages.length;
    const { id, token } = (await client.start()).body;
    const submitted = await client.submit(id, token, 'credentials', { email, password: PASSWORD });
    expect(submitted.status).toBe(200);
    expect(submitted.body.step.name).toBe('verify-email');
    const mail = await mailAfter(mark, email);
    return { id, token, code: codeIn(mail.text), view: submitted.body };
  }

  const outboundCount = (journeyId: string) =>
    stack.prisma.outboundMessage.count({ where: { journeyId } });

  describe('Journey-Token binding', () => {
    it('answers a missing, wrong, forged or foreign token exactly like an unknown id: 404, byte for byte (ASVS 4.2.1, OWASP WSTG-ATHZ-04)', async () => {
      const mine = (await api.start()).body;
      const theirs = (await api.start()).body;
      const unknownId = `jrn_${randomBytes(18).toString('base64url')}`;
      const claims = { id: mine.id, journey: 'registration', version: 1 };
      const forged = await createJourneyTokens(createKeyring(generateKeySpec('attacker'))).sign(
        claims,
        60_000,
      );
      const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: mine.id, jrn: 'registration', ver: 1 })}.`;
      const signedForUnknown = await createJourneyTokens(stack.keyring).sign(
        { ...claims, id: unknownId },
        60_000,
      );

      const attempts: Array<[string, string, string | undefined]> = [
        ['no token', mine.id, undefined],
        ['a garbage token', mine.id, 'not-a-token'],
        ['a token signed with another key', mine.id, forged],
        ['an unsigned token (alg none)', mine.id, unsigned],
        ["another journey's token", mine.id, theirs.token],
        ['an unknown id without a token', unknownId, undefined],
        ['an unknown id with a token the server signed for it', unknownId, signedForUnknown],
      ];
      const seen: Array<{
        attempt: string;
        status: number;
        contentType: string | null;
        text: string;
      }> = [];
      for (const [attempt, id, token] of attempts) {
        const headers: Record<string, string> = token ? { 'journey-token': token } : {};
        const read = await rawRequest(stack.url, 'GET', `/v1/journeys/${id}`, { headers });
        const submit = await rawRequest(stack.url, 'POST', `/v1/journeys/${id}/steps/credentials`, {
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'intruder@example.com', password: PASSWORD }),
        });
        for (const answer of [read, submit]) {
          seen.push({
            attempt,
            status: answer.status,
            contentType: answer.headers.get('content-type'),
            text: answer.text,
          });
        }
      }

      const [first] = seen;
      expect(first?.status).toBe(404);
      expect(first?.contentType).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(first?.text ?? '')).toMatchObject({
        status: 404,
        code: 'journey_not_found',
        type: expect.any(String),
        title: expect.any(String),
      });
      for (const answer of seen)
        expect({ ...answer, attempt: first?.attempt }, answer.attempt).toEqual(first);

      // The rightful holder still gets in, and nobody else's submission moved the journey.
      const own = await api.get(mine.id, mine.token);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({
        id: mine.id,
        status: 'active',
        step: { name: 'credentials' },
      });
      expect(
        await stack.prisma.outboundMessage.count({ where: { recipient: 'intruder@example.com' } }),
      ).toBe(0);
    });
  });

  describe('input hygiene', () => {
    const credentialsPath = (id: string) => `/v1/journeys/${id}/steps/credentials`;

    it('tells a run of at most 20 refused submissions, so bad input without end cannot grow its history without end (OWASP API4:2023)', async () => {
      const { id, token } = (await api.start()).body;
      for (let attempt = 0; attempt < 30; attempt += 1)
        expectProblem(
          await api.submit(id, token, 'credentials', { email: 'not an address', password: '' }),
          422,
          'invalid_input',
        );
      const history = await stack.temporal.workflow.getHandle(id).fetchHistory();
      const signals = history.events?.filter(
        (event) => event.workflowExecutionSignaledEventAttributes,
      );
      expect(signals).toHaveLength(20);
      // Still at its first step, and it still answers a good submission.
      const accepted = await api.submit(id, token, 'credentials', {
        email: 'after-refusals@example.com',
        password: PASSWORD,
      });
      expect(accepted.body.step.name).toBe('verify-email');
    });

    it('refuses a body over 16 KiB with 413 before parsing it (OWASP API4:2023)', async () => {
      const { id, token } = (await api.start()).body;
      const huge = await api.call('POST', credentialsPath(id), {
        body: { email: 'huge@example.com', password: 'x'.repeat(17 * 1024) },
        headers: { 'journey-token': token },
      });
      expectProblem(huge, 413, 'body_too_large');
      // Just under the limit the body is read, and refused for what it says instead.
      const large = await api.call('POST', credentialsPath(id), {
        body: { email: 'large@example.com', password: 'x'.repeat(15 * 1024) },
        headers: { 'journey-token': token },
      });
      expectProblem(large, 422, 'invalid_input');
      expect(large.body.errors).toEqual([expect.objectContaining({ path: '/password' })]);
    });

    it('bounds a compressed body by its inflated size: 1 MB gzipped to about 1 KB answers 413 (OWASP API4:2023)', async () => {
      const { id, token } = (await api.start()).body;
      const bomb = gzipSync(
        JSON.stringify({ email: 'bomb@example.com', password: 'x'.repeat(1_000_000) }),
      );
      expect(bomb.length).toBeLessThan(BODY_LIMIT_BYTES);
      const answer = await fetch(`${stack.url}${credentialsPath(id)}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'journey-token': token,
        },
        body: bomb,
      });
      expect(answer.status).toBe(413);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await answer.json()).toMatchObject({ status: 413, code: 'body_too_large' });
    });

    it('answers a corrupt compressed body and an undecodable path with 400, never 500', async () => {
      const { id, token } = (await api.start()).body;
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const corrupt = await api.call('POST', credentialsPath(id), {
          raw: 'this is not compressed',
          headers: {
            'content-type': 'application/json',
            'content-encoding': encoding,
            'journey-token': token,
          },
        });
        expectProblem(corrupt, 400, 'bad_request');
      }
      expectProblem(
        await api.call('GET', '/v1/journeys/%E0%A4%A', { headers: { 'journey-token': token } }),
        400,
        'bad_request',
      );
    });

    it("points at the whole body with '' (RFC 6901) when the body is not an object", async () => {
      const { id, token } = (await api.start()).body;
      const answer = await api.call('POST', credentialsPath(id), {
        raw: '["email", "password"]',
        headers: { 'content-type': 'application/json', 'journey-token': token },
      });
      expectProblem(answer, 422, 'invalid_input');
      expect(answer.body.errors).toEqual([
        { path: '', code: 'invalid_type', message: expect.any(String) },
      ]);
    });

    it('refuses an unknown field with 422 unknown_field at its path, and the journey does not move (ASVS 5.1.2 mass assignment)', async () => {
      const { id, token } = (await api.start()).body;
      const answer = await api.submit(id, token, 'credentials', {
        email: 'mass@example.com',
        password: PASSWORD,
        emailVerified: true,
      });
      expectProblem(answer, 422, 'invalid_input');
      expect(answer.body.errors).toEqual([
        { path: '/emailVerified', code: 'unknown_field', message: expect.any(String) },
      ]);
      expect((await api.get(id, token)).body.step.name).toBe('credentials');
    });

    it('refuses input to a journey start, which takes none, with 422 unknown_field at its path', async () => {
      const answer = await api.call('POST', '/v1/journeys/registration/start', {
        body: { email: 'a@example.com' },
      });
      expectProblem(answer, 422, 'invalid_input');
      expect(answer.body.errors).toEqual([
        expect.objectContaining({ path: '/email', code: 'unknown_field' }),
      ]);
    });

    it('refuses malformed JSON with 400 malformed_json', async () => {
      const { id, token } = (await api.start()).body;
      const answer = await api.call('POST', credentialsPath(id), {
        raw: '{"email": "half@example.com", "password":',
        headers: { 'content-type': 'application/json', 'journey-token': token },
      });
      expectProblem(answer, 400, 'malformed_json');
    });

    it('refuses a body that is not application/json with 415 (ASVS 13.1.5)', async () => {
      const { id, token } = (await api.start()).body;
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
        const answer = await api.call('POST', credentialsPath(id), {
          raw: `email=form%40example.com&password=${encodeURIComponent(PASSWORD)}`,
          headers: { 'content-type': contentType, 'journey-token': token },
        });
        expectProblem(answer, 415, 'unsupported_media_type');
      }
      expect((await api.get(id, token)).body.step.name).toBe('credentials');
    });

    it('refuses addresses mail software reads differently from what would be stored, with 422 at /email, and stores nothing', async () => {
      for (const email of [
        'victim@example.test,evil.test',
        '<x@evil.test>example.test',
        'Ada <ada@example.test>',
        '\uff41da@example.test',
      ]) {
        const { id, token } = (await api.start()).body;
        const answer = await api.submit(id, token, 'credentials', { email, password: PASSWORD });
        expectProblem(answer, 422, 'invalid_input');
        expect(answer.body.errors, email).toEqual([
          expect.objectContaining({ path: '/email', code: 'invalid_format' }),
        ]);
        expect((await api.get(id, token)).body.step.name).toBe('credentials');
      }
      expect(smtp.messages.filter((message) => /evil/.test(message.to))).toEqual([]);
    });

    it('stores an internationalised domain as its IDNA A-label, and mails exactly that address', async () => {
      const mark = smtp.messages.length;
      const { id, token } = (await api.start()).body;
      const answer = await api.submit(id, token, 'credentials', {
        email: 'Ada.Idn@B\u00dcCHER.example',
        password: PASSWORD,
      });
      expect(answer.body.step.data.email).toBe('ada.idn@xn--bcher-kva.example');
      // The SMTP server reports an envelope domain in its U-label form; the header shows what was sent.
      const mail = await mailAfter(mark, 'ada.idn@b\u00fccher.example');
      expect(mail.raw).toMatch(/^To: ada\.idn@xn--bcher-kva\.example$/m);
    });

    it('names each invalid field by its JSON pointer: a bad email and a too-short password (ASVS 5.1.3, NIST SP 800-63B §5.1.1.2)', async () => {
      const { id, token } = (await api.start()).body;
      const answer = await api.submit(id, token, 'credentials', {
        email: 'not-an-email',
        password: 'short',
      });
      expectProblem(answer, 422, 'invalid_input');
      expect(answer.body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
        '/email',
        '/password',
      ]);
      for (const error of answer.body.errors)
        expect(error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    });

    it("refuses a common password like 'password123' with password_common and zxcvbn's advice (NIST SP 800-63B §5.1.1.2, ASVS 2.1.7)", async () => {
      const { id, token } = (await api.start()).body;
      const answer = await api.submit(id, token, 'credentials', {
        email: 'common@example.com',
        password: 'Password123',
      });
      expectProblem(answer, 422, 'invalid_input');
      expect(answer.body.errors).toEqual([
        {
          path: '/password',
          code: 'password_common',
          message: expect.any(String),
          feedback: {
            warning: expect.stringMatching(/common/i),
            suggestions: expect.arrayContaining([expect.any(String)]),
          },
        },
      ]);
      expect((await api.get(id, token)).body.step.name).toBe('credentials');
    });

    it('answers 404 for a step the journey does not have and for a journey that does not exist', async () => {
      const { id, token } = (await api.start()).body;
      expectProblem(await api.submit(id, token, 'set-admin', { admin: true }), 404, 'unknown_step');
      expectProblem(await api.start('no-such-journey'), 404, 'unknown_journey');
      expectProblem(await api.start('registration', 99), 404, 'unknown_journey');
    });
  });

  describe('addresses and methods', () => {
    it("answers a pinned version that is not a positive whole number as no such journey, never 'version NaN'", async () => {
      for (const version of ['abc', '1.5', '-1', '0', '', '1e3', '99999999999', '01']) {
        const answer = await api.call('POST', `/v1/journeys/registration@${version}/start`);
        expectProblem(answer, 404, 'unknown_journey');
        expect(JSON.stringify(answer.body), version).not.toContain('NaN');
      }
    });

    it('refuses a version in the query with 422 naming the path that pins it: the body a start takes depends on the version', async () => {
      for (const version of ['1', '2', 'abc']) {
        const answer = await api.call('POST', `/v1/journeys/registration/start?version=${version}`);
        expectProblem(answer, 422, 'invalid_input');
        expect(answer.body.errors, version).toEqual([
          expect.objectContaining({
            path: '/version',
            in: 'query',
            message: expect.stringContaining('/v1/journeys/{journey}@{version}/start'),
          }),
        ]);
      }
    });

    it('answers a method an address does not take with 405 and Allow, not 404 (RFC 9110 §15.5.6)', async () => {
      const { id, token } = (await api.start()).body;
      const cases: Array<[string, string, string]> = [
        ['DELETE', `/v1/journeys/${id}`, 'GET, HEAD'],
        ['POST', `/v1/journeys/${id}`, 'GET, HEAD'],
        ['GET', '/v1/journeys/registration/start', 'POST'],
        ['GET', `/v1/journeys/${id}/steps/credentials`, 'POST'],
        ['POST', '/v1/journeys', 'GET, HEAD'],
        ['POST', '/v1/sessions/whoami', 'GET, HEAD'],
        ['GET', '/v1/sessions/current', 'DELETE'],
        ['POST', '/healthz', 'GET, HEAD'],
      ];
      for (const [method, path, allow] of cases) {
        const answer = await api.call(method, path, { headers: { 'journey-token': token } });
        expectProblem(answer, 405, 'method_not_allowed');
        expect(answer.headers.get('allow'), `${method} ${path}`).toBe(allow);
      }
      // An address that does not exist is still 404.
      expectProblem(await api.call('GET', '/v1/nowhere'), 404, 'not_found');
    });
  });

  describe('replays and codes', () => {
    it('answers a replayed credentials step with 409 and the current view, and sends no second code', async () => {
      const { id, token, view } = await atVerifyEmail(api, 'replay@example.com');
      for (const email of ['replay@example.com', 'attacker@example.com']) {
        const replay = await api.submit(id, token, 'credentials', { email, password: PASSWORD });
        expectProblem(replay, 409, 'step_not_current');
        expect(replay.body.view).toEqual(view);
      }
      // Refused before the run was asked (and by its update validator, had it moved on in between),
      // the replays never reached the journey.
      expect(await outboundCount(id)).toBe(1);
      const submitted = await stack.prisma.journeyEvent.count({
        where: { journeyId: id, type: 'step_submitted', step: 'credentials' },
      });
      expect(submitted).toBe(1);
      expect(smtp.messages.filter((message) => message.to === 'replay@example.com')).toHaveLength(
        1,
      );
      expect(smtp.messages.filter((message) => message.to === 'attacker@example.com')).toHaveLength(
        0,
      );
      // A rejected update leaves no trace in history: only credentials was admitted (the start
      // answered from the journey's initial state is a plain start, no update).
      const history = await stack.temporal.workflow.getHandle(id).fetchHistory();
      const updates = history.events?.filter(
        (event) =>
          event.workflowExecutionUpdateAcceptedEventAttributes ??
          event.workflowExecutionUpdateRejectedEventAttributes,
      );
      expect(updates).toHaveLength(1);
    });

    it('never shows a secret in a 409: the session token stays for the answer it belongs to', async () => {
      const { id, token, code } = await atVerifyEmail(api, 'refused-token@example.com');
      await api.submit(id, token, 'verify-email', { code });
      // The last step reaches the run without its answer reaching the client (as a lost
      // response would): the run completes and the session token waits in the vault.
      await stack.temporal.workflow.getHandle(id).executeUpdate(submitStepUpdate, {
        args: [{ step: 'terms', input: { accept: true, policyVersion: TERMS_VERSION } }],
      });
      const replay = await api.submit(id, token, 'terms', {
        accept: true,
        policyVersion: TERMS_VERSION,
      });
      expectProblem(replay, 409, 'journey_closed');
      expect(replay.body.view).toMatchObject({ status: 'completed', result: { type: 'session' } });
      expect(replay.body.view.result.session).not.toHaveProperty('token');
      // The holder of the journey token still gets it, once.
      const shown = await api.get(id, token);
      expect(shown.body.result.session.token).toEqual(expect.any(String));
      expect((await api.get(id, token)).body.result.session).not.toHaveProperty('token');
    });

    it('locks the code after 5 wrong tries, refuses even the right code while locked, and a code resent after the cooldown works (NIST SP 800-63B §5.2.2, ASVS 2.2.1)', async () => {
      const client = stepApiClient(quickResend.url);
      const email = 'lockout@example.com';
      const { id, token, code } = await atVerifyEmail(client, email);
      const wrong = otherCode(code);

      for (const attemptsLeft of [4, 3, 2, 1]) {
        const answer = await client.submit(id, token, 'verify-email', { code: wrong });
        expectProblem(answer, 422, 'invalid_code');
        expect(answer.body.errors).toEqual([
          expect.objectContaining({ path: '/code', code: 'invalid_code', attemptsLeft }),
        ]);
        expect(answer.body.view.step.data).toMatchObject({ attemptsLeft, codeStatus: 'sent' });
      }
      const fifth = await client.submit(id, token, 'verify-email', { code: wrong });
      expectProblem(fifth, 422, 'too_many_attempts');
      expect(fifth.body.view.step).toMatchObject({
        name: 'verify-email',
        data: { attemptsLeft: 0, codeStatus: 'locked' },
      });

      const right = await client.submit(id, token, 'verify-email', { code });
      expectProblem(right, 422, 'too_many_attempts');
      expect(right.body.view.step.name).toBe('verify-email');

      // The gate opens when the cooldown's durable timer is delivered, which Temporal guarantees no
      // earlier than resendAvailableAt but may deliver later: ask again while it still says wait.
      await sleepPast(fifth.body.view.step.data.resendAvailableAt);
      const mark = smtp.messages.length;
      const resent = await eventually('the resend cooldown to end', async () => {
        const answer = await client.submit(id, token, 'verify-email', { resend: true });
        return answer.body?.code === 'resend_cooldown' ? undefined : answer;
      });
      expect(resent.status).toBe(200);
      expect(resent.body.step).toMatchObject({
        name: 'verify-email',
        data: { attemptsLeft: 5, codeStatus: 'sent' },
      });
      const newCode = codeIn((await mailAfter(mark, email)).text);

      // The locked code died with its challenge; the new one opens the next step.
      const stale = await client.submit(id, token, 'verify-email', { code });
      expectProblem(stale, 422, 'invalid_code');
      const verified = await client.submit(id, token, 'verify-email', { code: newCode });
      expect(verified.status).toBe(200);
      expect(verified.body.step).toMatchObject({
        name: 'terms',
        data: { policyVersion: TERMS_VERSION },
      });
    });

    it('refuses a resend during the cooldown with 429 resend_cooldown, sends nothing, and keeps the live code (ASVS 2.2.1)', async () => {
      const { id, token, code, view } = await atVerifyEmail(api, 'cooldown@example.com');
      const resend = await api.submit(id, token, 'verify-email', { resend: true });
      expectProblem(resend, 429, 'resend_cooldown');
      // RFC 9110 §10.2.3: the client learns when it may ask again.
      expect(Number(resend.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(resend.body.errors[0]).toMatchObject({ retryAt: view.step.data.resendAvailableAt });
      expect(resend.body.view.step.data).toEqual(view.step.data);
      expect(await outboundCount(id)).toBe(1);

      const verified = await api.submit(id, token, 'verify-email', { code });
      expect(verified.body.step.name).toBe('terms');
    });

    it('checks simultaneous codes one at a time: the others answer 409 journey_busy, and no more than 5 are ever counted (NIST SP 800-63B §5.2.2)', async () => {
      const { id, token, code } = await atVerifyEmail(api, 'burst@example.com');
      const wrong = code === '000000' ? '111111' : '000000';
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => api.submit(id, token, 'verify-email', { code: wrong })),
      );
      const codes = answers.map((answer) => answer.body.code);
      expect(codes).toContain('invalid_code');
      expect(codes.filter((c) => c !== 'invalid_code' && c !== 'too_many_attempts')).toEqual(
        codes.filter((c) => c === 'journey_busy'),
      );
      for (const answer of answers.filter((a) => a.body.code === 'journey_busy')) {
        expectProblem(answer, 409, 'journey_busy');
        expect(answer.body.view.step.name).toBe('verify-email');
      }
      const challenge = await stack.prisma.otpChallenge.findFirstOrThrow({
        where: { journeyId: id },
      });
      // Every code checked counts, up to the lock at 5; a locked challenge checks none.
      const checked = codes.filter((c) => c !== 'journey_busy').length;
      expect(challenge.attempts).toBe(Math.min(5, checked));
    });

    it('refuses an expired code even when it is right, then a resent code works (NIST SP 800-63B §5.1.3.2, ASVS 2.7.2)', async () => {
      const client = stepApiClient(quickExpiry.url);
      const email = 'expiry@example.com';
      const { id, token, code, view } = await atVerifyEmail(client, email);

      // Expiry is a durable timer: once the view says so, the code is dead whatever the clock says.
      await sleepPast(view.step.data.expiresAt);
      await eventually('the code to expire', async () =>
        (await client.get(id, token)).body.step.data.codeStatus === 'expired' ? true : undefined,
      );
      const late = await client.submit(id, token, 'verify-email', { code });
      expectProblem(late, 422, 'code_expired');
      expect(late.body.errors).toEqual([
        expect.objectContaining({ path: '/code', code: 'code_expired' }),
      ]);
      expect(late.body.view.step).toMatchObject({
        name: 'verify-email',
        data: { codeStatus: 'expired' },
      });

      const mark = smtp.messages.length;
      const resent = await client.submit(id, token, 'verify-email', { resend: true });
      expect(resent.status).toBe(200);
      expect(resent.body.step.data.codeStatus).toBe('sent');
      const verified = await client.submit(id, token, 'verify-email', {
        code: codeIn((await mailAfter(mark, email)).text),
      });
      expect(verified.status).toBe(200);
      expect(verified.body.step.name).toBe('terms');
    });
  });

  describe('account enumeration', () => {
    /** Status and body of an answer with what differs by run masked: id, token, address and times. */
    const masked = (answer: Answer, run: { id: string; token: string; email: string }) => {
      const text = JSON.stringify(answer.body)
        .replaceAll(run.id, '<id>')
        .replaceAll(run.token, '<token>')
        .replaceAll(run.email, '<email>')
        .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>');
      return { status: answer.status, contentType: answer.contentType, body: JSON.parse(text) };
    };

    /** What a client sees signing up as `typed`: start, credentials, a wrong code, a resend. */
    async function signUpTrace(typed: string, email: string) {
      const mark = smtp.messages.length;
      const started = await api.start();
      const run = { id: started.body.id, token: started.body.token, email };
      const credentials = await api.submit(run.id, run.token, 'credentials', {
        email: typed,
        password: PASSWORD,
      });
      const mail = await mailAfter(mark, email);
      const sent = /\b\d{6}\b/.exec(mail.text)?.[0];
      const wrongCode = await api.submit(run.id, run.token, 'verify-email', {
        code: sent ? otherCode(sent) : '000000',
      });
      const resend = await api.submit(run.id, run.token, 'verify-email', { resend: true });
      return {
        mail,
        trace: [started, credentials, wrongCode, resend].map((answer) => masked(answer, run)),
      };
    }

    it('answers a sign-up with a registered address exactly as one with a new address, and mails the owner no code (OWASP WSTG-IDNT-04, ASVS 5.0 V6.3.8)', async () => {
      const owner = 'grace.hopper@example.com';
      const { id, token, code } = await atVerifyEmail(api, owner);
      await api.submit(id, token, 'verify-email', { code });
      const registered = await api.submit(id, token, 'terms', {
        accept: true,
        policyVersion: TERMS_VERSION,
      });
      expect(registered.body.status).toBe('completed');
      const ownerRecord = () =>
        stack.prisma.user.findUniqueOrThrow({
          where: { id: registered.body.result.user.id },
          include: { identifiers: true, credentials: true, consents: true, sessions: true },
        });
      const before = await ownerRecord();

      const fresh = await signUpTrace('new.customer@example.com', 'new.customer@example.com');
      const existing = await signUpTrace('  Grace.HOPPER@Example.COM ', owner);

      expect(existing.trace).toEqual(fresh.trace);
      expect(
        fresh.trace.map((answer) => [answer.status, answer.body.code ?? answer.body.step?.name]),
      ).toEqual([
        [201, 'credentials'],
        [200, 'verify-email'],
        [422, 'invalid_code'],
        [429, 'resend_cooldown'],
      ]);

      // The owner learns someone tried; no working code exists for the address.
      expect(existing.mail.subject).toMatch(/tried to sign up/i);
      expect(existing.mail.text).toMatch(/already has an account/i);
      expect(existing.mail.text).not.toMatch(/\b\d{6}\b/);
      expect(fresh.mail.text).toMatch(/\b\d{6}\b/);

      expect(await ownerRecord()).toEqual(before);
      expect(await stack.prisma.identifier.count({ where: { type: 'email', value: owner } })).toBe(
        1,
      );
      expect(
        await stack.prisma.user.count({ where: { identifiers: { some: { value: owner } } } }),
      ).toBe(1);
    });
  });
});
