import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, str } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncryptionCodec } from '../../src/security/payload-codec.js';
import { type RegistrationRun, recordRegistration } from '../support/record-registration.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const { History: HistoryMessage } = proto.temporal.api.history.v1;
// At run time the proto root is reflection-based: a message's class is its type's `ctor`.
const PayloadClass = (PayloadMessage as unknown as { ctor: abstract new () => Payload }).ctor;
const isPayload = (value: unknown): value is Payload => value instanceof PayloadClass;

interface Found {
  path: string;
  payload: Payload;
}

/** Every Payload anywhere in the history, found by type rather than by a list of known fields. */
function payloadsIn(value: unknown, path = 'history', found: Found[] = []): Found[] {
  if (isPayload(value)) found.push({ path, payload: value });
  else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) payloadsIn(item, `${path}[${index}]`, found);
  } else if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    for (const [key, item] of Object.entries(value)) payloadsIn(item, `${path}.${key}`, found);
  }
  return found;
}

// Two kinds of payload bypass the codec by Temporal's design; each is checked for what it may hold.
const isSearchAttribute = ({ path }: Found) => path.includes('.searchAttributes.');
// Temporal Core writes its own bookkeeping (seq, attempt, activity type, times) beside a local activity's result.
const isLocalActivityMarkerData = ({ path }: Found) =>
  /\.markerRecordedEventAttributes\.details\.data\.payloads\[\d+\]$/.test(path);

const encodingOf = (payload: Payload) =>
  str(payload.metadata?.[METADATA_ENCODING_KEY] ?? new Uint8Array());
const bytesText = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
/** A code as a whole number, so a timestamp that happens to contain its digits does not count. */
const digitsPattern = (code: string) => new RegExp(`(?<![0-9])${code}(?![0-9])`);

/** The history as an operator holding the key would read it: every payload decoded, as JSON text. */
async function decodedHistoryText(
  history: History,
  decode: (payloads: Payload[]) => Promise<Payload[]>,
): Promise<string> {
  const found = payloadsIn(history);
  const decoded = await decode(found.map(({ payload }) => payload));
  const values = new Map(
    found.map(({ payload }, index) => [
      payload,
      defaultPayloadConverter.fromPayload(decoded[index] as Payload),
    ]),
  );
  const plain = (value: unknown): unknown => {
    if (isPayload(value)) return { decoded: values.get(value) };
    if (value instanceof Uint8Array) return bytesText(value);
    if (Array.isArray(value)) return value.map(plain);
    if (typeof value === 'object' && value !== null) {
      // Long (event ids) prints as a number; messages keep only the fields that are set.
      if ('low' in value && 'high' in value) return String(value);
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
    }
    return value;
  };
  return JSON.stringify(plain(history));
}

describe('workflow history of a registration (DESIGN "Where data lives": no secret in Temporal history)', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let run: RegistrationRun;
  let history: History;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({ smtpUrl: smtp.url });
    ({ run, history } = await recordRegistration({
      url: stack.url,
      smtp,
      temporal: stack.temporal,
      email: 'grace.hopper@example.com',
      password: 'compilers are for people 1952',
    }));
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  it('holds every journey payload encrypted, and no customer data in its raw bytes', async () => {
    const found = payloadsIn(history);
    const encrypted = found.filter(
      (entry) => !isSearchAttribute(entry) && !isLocalActivityMarkerData(entry),
    );
    // Start input, update args and answers, activity inputs and results, local activity results, the run's result.
    for (const path of [
      '.input.',
      '.acceptedRequest.input.args.',
      '.outcome.success.',
      '.activityTaskCompletedEventAttributes.result.',
      '.details.result.',
      '.workflowExecutionCompletedEventAttributes.result.',
    ]) {
      expect(
        encrypted.some((entry) => entry.path.includes(path)),
        path,
      ).toBe(true);
    }
    for (const { path, payload } of encrypted) {
      expect(encodingOf(payload), path).toBe('binary/encrypted');
      expect(str(payload.metadata?.['encryption-key-id'] ?? new Uint8Array()), path).toBe(
        stack.keyring.activeKid,
      );
      expect(bytesText(payload.data ?? new Uint8Array()), path).not.toContain('credentials');
    }

    // The listing attributes are plain by design: only the journey, its version, step and status.
    for (const entry of found.filter(isSearchAttribute)) {
      expect(entry.path).toMatch(/\.indexedFields\.Parcours(Journey|Version|Step|Status)$/);
      expect(encodingOf(entry.payload)).toBe('json/plain');
    }
    for (const entry of found.filter(isLocalActivityMarkerData)) {
      const data = defaultPayloadConverter.fromPayload(entry.payload) as Record<string, unknown>;
      expect(Object.keys(data).sort(), entry.path).toEqual([
        'activity_id',
        'activity_type',
        'attempt',
        'backoff',
        'complete_time',
        'original_schedule_time',
        'seq',
      ]);
    }

    // Whatever the codec does not cover (search attributes, local-activity bookkeeping) holds none of it either.
    const raw = bytesText(HistoryMessage.encode(history).finish());
    for (const value of [run.email, run.password, run.sessionToken])
      expect(raw).not.toContain(value);
    for (const code of [run.code, run.wrongCode]) expect(raw).not.toMatch(digitsPattern(code));
    // Failure messages and stack traces are encrypted too (the wrong code's business failure).
    expect(history.events?.some((event) => event.markerRecordedEventAttributes?.failure)).toBe(
      true,
    );
    expect(raw).not.toContain('That code is not right');
    expect(raw).not.toContain('email-verification.ts');
  });

  it('never holds the password, a one-time code or the session token, even decrypted (NIST SP 800-63B §5.1.1.2; ASVS 2.4.1, 7.1.1)', async () => {
    const text = await decodedHistoryText(history, (payloads) =>
      createEncryptionCodec(stack.keyring).decode(payloads),
    );
    // Decoding worked: the journey's own data is there to read.
    expect(text).toContain(run.email);
    expect(text).toContain('"step":"credentials"');
    expect(text).toContain(run.userId);
    // Secrets travelled sealed: the password as an argon2id hash, codes and the session token as vault references.
    expect(text).toMatch(/\$argon2id\$v=19\$/);
    expect(text).toMatch(/"\$secret":"sec_[A-Za-z0-9_-]{22,}"/);
    expect(text).not.toContain(run.password);
    expect(text).not.toContain(run.sessionToken);
    for (const code of [run.code, run.wrongCode]) expect(text).not.toMatch(digitsPattern(code));
  });
});
