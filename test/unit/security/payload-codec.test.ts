import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload, str } from '@temporalio/common';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { createKeyring } from '../../../src/security/keyring.js';
import { createEncryptionCodec } from '../../../src/security/payload-codec.js';
import { SealError } from '../../../src/security/seal.js';

const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;
const secret = 'hunter2-correct-horse';
const payloads = (): Payload[] => [
  defaultPayloadConverter.toPayload({ email: 'ada@example.com', password: secret }),
  defaultPayloadConverter.toPayload(null),
  defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3])),
];
const wire = (payload: Payload) =>
  Buffer.from(proto.temporal.api.common.v1.Payload.encode(payload).finish());

describe('createEncryptionCodec', () => {
  it('decodes what it encoded, metadata included', async () => {
    const codec = createEncryptionCodec(createKeyring(k1));
    const original = payloads();
    const decoded = await codec.decode(await codec.encode(original));
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(
      original.map((p) => defaultPayloadConverter.fromPayload(p)),
    );
    const encodings = (ps: Payload[]) => ps.map((p) => str(p.metadata?.encoding as Uint8Array));
    expect(encodings(decoded)).toEqual(encodings(original));
  });

  it('labels encoded payloads binary/encrypted with the key id, so keys can rotate', async () => {
    const [encoded] = await createEncryptionCodec(createKeyring(k1)).encode(payloads());
    expect(str(encoded?.metadata?.encoding as Uint8Array)).toBe('binary/encrypted');
    expect(str(encoded?.metadata?.['encryption-key-id'] as Uint8Array)).toBe('k1');
  });

  it('never lets the plaintext, or its original encoding, reach the wire (history)', async () => {
    const encoded = await createEncryptionCodec(createKeyring(k1)).encode(payloads());
    for (const payload of encoded) {
      const bytes = wire(payload);
      expect(bytes.includes(secret)).toBe(false);
      expect(bytes.includes('ada@example.com')).toBe(false);
      expect(bytes.includes('json/plain')).toBe(false);
    }
  });

  it('decodes payloads encoded under the previous active key after rotation', async () => {
    const encoded = await createEncryptionCodec(createKeyring(k1)).encode(payloads());
    const rotated = createEncryptionCodec(createKeyring(`${k2},${k1}`));
    const [decoded] = await rotated.decode(encoded);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual({
      email: 'ada@example.com',
      password: secret,
    });
    const [reEncoded] = await rotated.encode(payloads());
    expect(str(reEncoded?.metadata?.['encryption-key-id'] as Uint8Array)).toBe('k2');
  });

  it('refuses a tampered payload', async () => {
    const codec = createEncryptionCodec(createKeyring(k1));
    const [encoded] = await codec.encode(payloads());
    const data = Buffer.from(encoded?.data as Uint8Array);
    data[data.length - 20] = (data[data.length - 20] as number) ^ 0xff;
    await expect(codec.decode([{ ...encoded, data }])).rejects.toBeInstanceOf(SealError);
  });

  it('refuses a payload whose key is no longer configured', async () => {
    const encoded = await createEncryptionCodec(createKeyring(k1)).encode(payloads());
    await expect(createEncryptionCodec(createKeyring(k2)).decode(encoded)).rejects.toMatchObject({
      code: 'seal_unknown_key',
    });
  });

  it('refuses a payload that is not encrypted: whoever wrote it did not hold the key', async () => {
    const codec = createEncryptionCodec(createKeyring(k1));
    await expect(codec.decode(payloads())).rejects.toThrow(
      'refusing a payload that is not encrypted (encoding: json/plain)',
    );
    await expect(codec.decode([{ data: new Uint8Array([1]) }])).rejects.toThrow(
      'refusing a payload that is not encrypted (encoding: none)',
    );
  });
});
