import type { Payload } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { createEncryptionCodec } from '../../src/security/payload-codec.js';
import { startApiVariant } from '../support/api-variant.js';
import { encodingOf, payloadsIn } from '../support/history-text.js';
import { stepApiClient } from '../support/http.js';
import { expectProblem, rawRequest } from '../support/raw-http.js';
import { type RegistrationRun, recordRegistration } from '../support/record-registration.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const OPERATOR_KEY = 'an operator key of forty characters, ok!';
const ENCODE_KEY = 'a separate key that may encode payloads!';
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

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe("Temporal's remote codec for operators (/codec/decode; /codec/encode with its own key)", () => {
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

  it('does not encode by default: /codec/encode is not served, whatever key is sent', async () => {
    const plain = { metadata: { encoding: b64('json/plain') }, data: b64('{"forged":true}') };
    for (const headers of [operator, {}])
      expectProblem(
        await api.call('POST', '/codec/encode', { body: { payloads: [plain] }, headers }),
        404,
        'not_found',
      );
  });

  it('encodes only with an encode key of its own, which does not view, and the viewing key does not encode (ASVS 5.0 V8.2.1)', async () => {
    const encoding = await startApiVariant(
      stack,
      {},
      {
        codec: {
          ...(stack.config.codec as NonNullable<Stack['config']['codec']>),
          encodeKey: ENCODE_KEY,
        },
      },
    );
    try {
      const client = stepApiClient(encoding.url);
      const plain = {
        metadata: { encoding: b64('json/plain') },
        data: b64('{"hello":"operator"}'),
      };
      const encode = (key: string) =>
        client.call('POST', '/codec/encode', {
          body: { payloads: [plain] },
          headers: { authorization: `Bearer ${key}` },
        });
      const refused = await encode(OPERATOR_KEY);
      expectProblem(refused, 401, 'operator_key_required');
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="parcours-codec-encode"');
      const encoded = await encode(ENCODE_KEY);
      expect(encoded.status).toBe(200);
      expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe(
        'binary/encrypted',
      );
      const decode = (key: string) =>
        client.call('POST', '/codec/decode', {
          body: encoded.body,
          headers: { authorization: `Bearer ${key}` },
        });
      expectProblem(await decode(ENCODE_KEY), 401, 'operator_key_required');
      expect((await decode(OPERATOR_KEY)).body.payloads).toEqual([plain]);
    } finally {
      await encoding.stop();
    }
  });

  it('answers 400 with field paths to anything but payloads it can decode, never 500 (ASVS 5.0 V2.2.1)', async () => {
    const [real] = payloadsIn(history)
      .map(({ payload }) => payload)
      .filter((payload) => encodingOf(payload) === 'binary/encrypted');
    const altered = asJson(real as Payload);
    const bytes = Buffer.from(altered.data, 'base64');
    bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) ^ 1;
    const theirs = await createEncryptionCodec(createKeyring(generateKeySpec('other'))).encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{}') },
    ]);
    const encrypted = { encoding: b64('binary/encrypted') };
    const cases: Array<[string, unknown, string | undefined]> = [
      ['data not base64', { payloads: [{ data: '!!not base64!!' }] }, '/payloads/0/data'],
      [
        'metadata not base64',
        { payloads: [{ metadata: { encoding: 'json plain?' } }] },
        '/payloads/0/metadata/encoding',
      ],
      ['data a number', { payloads: [{ data: 42 }] }, '/payloads/0/data'],
      ['payloads not a list', { payloads: 'all of them' }, '/payloads'],
      ['no payloads', {}, '/payloads'],
      ['a list, not an object', [], ''],
      [
        'sealed garbage',
        { payloads: [{ metadata: encrypted, data: b64('garbage') }] },
        '/payloads/0',
      ],
      [
        'altered ciphertext',
        { payloads: [{ ...altered, data: bytes.toString('base64') }] },
        '/payloads/0',
      ],
      ['another keyring’s payload', { payloads: [asJson(theirs[0] as Payload)] }, '/payloads/0'],
      ['no data at all', { payloads: [{ metadata: encrypted }] }, '/payloads/0'],
    ];
    for (const [what, body, path] of cases) {
      const answer = await api.call('POST', '/codec/decode', { body, headers: operator });
      expectProblem(answer, 400, 'bad_request');
      expect(
        answer.body.errors?.map((error: { path: string }) => error.path),
        what,
      ).toContain(path);
    }
    // Not JSON at all, or sent as something else: still the client's fault.
    for (const [contentType, text] of [
      ['application/json', '{"payloads": ['],
      ['text/plain', 'payloads'],
    ] as const) {
      const answer = await rawRequest(stack.url, 'POST', '/codec/decode', {
        headers: { ...operator, 'content-type': contentType },
        body: text,
      });
      expect(answer.status, contentType).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
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
