import { defaultPayloadConverter, str } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncryptionCodec } from '../../src/security/payload-codec.js';
import {
  bytesText,
  decodedHistoryText,
  digitsPattern,
  encodingOf,
  isLocalActivityMarkerData,
  isSearchAttribute,
  payloadsIn,
  rawHistoryText,
} from '../support/history-text.js';
import { type RegistrationRun, recordRegistration } from '../support/record-registration.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

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
      // Sealed with this run's own key (crypto-shredding), bound to the run.
      expect(str(payload.metadata?.['encryption-key-id'] ?? new Uint8Array()), path).toBe('run');
      expect(str(payload.metadata?.['run-key'] ?? new Uint8Array()), path).toBe(run.id);
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
    const raw = rawHistoryText(history);
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
      createEncryptionCodec(stack.keyring, stack.runKeys).decode(payloads),
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
