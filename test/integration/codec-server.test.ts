import type { Payload } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodingOf, payloadsIn } from '../support/history-text.js';
import { stepApiClient } from '../support/http.js';
import { expectProblem } from '../support/raw-http.js';
import { type RegistrationRun, recordRegistration } from '../support/record-registration.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const OPERATOR_KEY = 'an operator key of forty characters, ok!';
const UI = 'http://127.0.0.1:8233';

const asJson = (payload: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value).toString('base64'),
    ]),
  ),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

describe("Temporal's remote codec for operators (/codec/decode, /codec/encode)", () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  let run: RegistrationRun;
  let history: History;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({
      smtpUrl: smtp.url,
      env: { PARCOURS_CODEC_KEY: OPERATOR_KEY, CODEC_CORS_ORIGINS: UI },
    });
    api = stepApiClient(stack.url);
    ({ run, history } = await recordRegistration({
      url: stack.url,
      smtp,
      temporal: stack.temporal,
      email: 'operator.view@example.com',
      password: 'seen by an operator, never in clear',
    }));
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  const decode = (payloads: Payload[], headers: Record<string, string>) =>
    api.call('POST', '/codec/decode', {
      body: { payloads: payloads.map(asJson) },
      headers: { 'x-namespace': 'default', ...headers },
    });
  const operator = { authorization: `Bearer ${OPERATOR_KEY}` };

  it('shows an operator holding the key every payload decoded, with secrets still sealed references', async () => {
    const payloads = payloadsIn(history).map(({ payload }) => payload);
    expect(payloads.some((payload) => encodingOf(payload) === 'binary/encrypted')).toBe(true);
    const answer = await decode(payloads, operator);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const decoded = (
      answer.body.payloads as Array<{ metadata: Record<string, string>; data: string }>
    )
      .map((payload) => Buffer.from(payload.data, 'base64').toString('utf8'))
      .join('\n');
    expect(decoded).toContain('"journey":"registration"');
    expect(decoded).toContain('operator.view@example.com');
    // What the history holds for secrets is what the operator sees: references, never the values.
    expect(decoded).toMatch(/sec_[A-Za-z0-9_-]{22,}/);
    for (const secret of [run.password, run.code, run.sessionToken])
      expect(decoded).not.toContain(secret);
  });

  it('refuses anyone without the operator key: 401 with a Bearer challenge', async () => {
    const [payload] = payloadsIn(history).map((found) => found.payload);
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer not-the-key' }];
    for (const headers of attempts) {
      const answer = await decode([payload as Payload], headers);
      expectProblem(answer, 401, 'operator_key_required');
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="parcours-codec"');
    }
  });

  it('encodes what it decodes back (the CLI and UI send payloads both ways)', async () => {
    const plain = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('{"hello":"operator"}').toString('base64'),
    };
    const encoded = await api.call('POST', '/codec/encode', {
      body: { payloads: [plain] },
      headers: operator,
    });
    expect(encoded.status).toBe(200);
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe(
      'binary/encrypted',
    );
    const decoded = await api.call('POST', '/codec/decode', {
      body: encoded.body,
      headers: operator,
    });
    expect(decoded.body.payloads).toEqual([plain]);
  });

  it("answers the Temporal UI's preflight for its own origin only (CORS)", async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    const ui = await preflight(UI);
    expect(ui.status).toBe(204);
    expect(ui.headers.get('access-control-allow-origin')).toBe(UI);
    expect(ui.headers.get('access-control-allow-headers')).toContain('Authorization');
    const elsewhere = await preflight('https://evil.example');
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });
});
