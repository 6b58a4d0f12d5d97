import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createKeyring } from '../../../src/security/keyring.js';
import {
  createEncryptionCodec,
  ShreddedPayloadError,
} from '../../../src/security/payload-codec.js';
import type { RunKeys } from '../../../src/security/run-keys.js';

/*
 * Crypto-shredding of Temporal history (GDPR Art. 17): a run's payloads are sealed with the run's
 * own key inside the deployment's encryption, so destroying that key leaves nothing readable in
 * any copy of the history, even for a holder of the deployment's keys.
 */

const keyring = createKeyring(`k1:${randomBytes(32).toString('base64')}`);
const EMAIL = 'ada.lovelace@example.com';
const payloads = (): Payload[] => [defaultPayloadConverter.toPayload({ email: EMAIL })];
const text = (items: Payload[]) =>
  items.map((item) => Buffer.from(item.data ?? new Uint8Array()).toString('latin1')).join('');

/** Run keys in memory, as run-keys.ts keeps them in the database. */
function memoryRunKeys() {
  const keys = new Map<string, Buffer>();
  const store: RunKeys = {
    async keyFor(runId) {
      if (!keys.has(runId)) keys.set(runId, randomBytes(32));
      return keys.get(runId) as Buffer;
    },
    async existingKey(runId) {
      return keys.get(runId);
    },
    forget() {},
  };
  return { store, destroy: (runId: string) => keys.delete(runId) };
}
const ofRun = (workflowId: string) => ({
  type: 'workflow' as const,
  namespace: 'default',
  workflowId,
});

describe('payloads sealed with their run’s own key', () => {
  it('decodes what it encoded for a run, and names the run in the metadata (never the data)', async () => {
    const { store } = memoryRunKeys();
    const codec = createEncryptionCodec(keyring, store);
    const encoded = await codec.encode(payloads(), ofRun('run-1'));
    expect(Buffer.from(encoded[0]?.metadata?.['run-key'] as Uint8Array).toString()).toBe('run-1');
    expect(text(encoded)).not.toContain(EMAIL);
    const [decoded] = await codec.decode(encoded);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual({ email: EMAIL });
  });

  it('leaves nothing readable once the run’s key is destroyed, even with the deployment’s keys', async () => {
    const { store, destroy } = memoryRunKeys();
    const codec = createEncryptionCodec(keyring, store);
    const encoded = await codec.encode(payloads(), ofRun('run-erased'));
    destroy('run-erased');
    await expect(codec.decode(encoded)).rejects.toBeInstanceOf(ShreddedPayloadError);
    // A codec without run keys (the deployment's key alone) cannot read it either.
    await expect(createEncryptionCodec(keyring).decode(encoded)).rejects.toBeInstanceOf(
      ShreddedPayloadError,
    );
  });

  it('refuses a payload moved into another run’s history: it is bound to its own run', async () => {
    const { store } = memoryRunKeys();
    const codec = createEncryptionCodec(keyring, store);
    const [encoded] = await codec.encode(payloads(), ofRun('run-a'));
    await codec.encode(payloads(), ofRun('run-b'));
    const moved: Payload = {
      ...encoded,
      metadata: { ...encoded?.metadata, 'run-key': new TextEncoder().encode('run-b') },
    };
    await expect(codec.decode([moved])).rejects.toThrow();
  });

  it('does not open a run’s payload stripped of the metadata naming its run: the deployment’s keys are not its key', async () => {
    const { store } = memoryRunKeys();
    const codec = createEncryptionCodec(keyring, store);
    const [encoded] = await codec.encode(payloads(), ofRun('run-stripped'));
    const { 'run-key': _run, ...metadata } = encoded?.metadata ?? {};
    await expect(codec.decode([{ ...encoded, metadata }])).rejects.toThrow(/unknown key/);
  });

  it('still opens payloads written before run keys, and seals those of no run with the deployment’s key', async () => {
    const { store } = memoryRunKeys();
    const legacy = await createEncryptionCodec(keyring).encode(payloads());
    const codec = createEncryptionCodec(keyring, store);
    expect(defaultPayloadConverter.fromPayload((await codec.decode(legacy))[0] as Payload)).toEqual(
      {
        email: EMAIL,
      },
    );
    const noRun = await codec.encode(payloads());
    expect(noRun[0]?.metadata?.['run-key']).toBeUndefined();
    expect(defaultPayloadConverter.fromPayload((await codec.decode(noRun))[0] as Payload)).toEqual({
      email: EMAIL,
    });
  });
});
