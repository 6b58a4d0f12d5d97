import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring } from '../../../src/security/keyring.js';
import { openBytes, openJson, SealError, sealBytes, sealJson } from '../../../src/security/seal.js';

const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;
const keys = createKeyring(k1).derive('seal-test');

function expectSealError(open: () => unknown, code: SealError['code']): void {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(SealError);
    expect((error as SealError).code).toBe(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('sealBytes / openBytes', () => {
  it('opens what it sealed', () => {
    const plaintext = Buffer.from('a TOTP secret', 'utf8');
    expect(openBytes(keys, sealBytes(keys, plaintext)).equals(plaintext)).toBe(true);
  });

  it('writes a self-describing envelope: version, kid, 12-byte IV, ciphertext, 16-byte tag', () => {
    const envelope = sealBytes(keys, Buffer.from('hello'));
    expect(envelope[0]).toBe(1);
    expect(envelope[1]).toBe(2);
    expect(envelope.subarray(2, 4).toString()).toBe('k1');
    expect(envelope).toHaveLength(4 + 12 + 5 + 16);
  });

  it('uses a fresh IV every time, so equal plaintexts seal differently', () => {
    const a = sealBytes(keys, Buffer.from('same'));
    const b = sealBytes(keys, Buffer.from('same'));
    expect(a.subarray(4, 16).equals(b.subarray(4, 16))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('still opens envelopes sealed with a retired key after rotation', () => {
    const before = sealBytes(createKeyring(k1).derive('seal-test'), Buffer.from('old'));
    const rotated = createKeyring(`${k2},${k1}`).derive('seal-test');
    expect(openBytes(rotated, before).toString()).toBe('old');
    expect(sealBytes(rotated, Buffer.from('new')).subarray(2, 4).toString()).toBe('k2');
  });

  it('refuses an envelope whose key was dropped from the list', () => {
    const envelope = sealBytes(keys, Buffer.from('x'));
    expectSealError(
      () => openBytes(createKeyring(k2).derive('seal-test'), envelope),
      'seal_unknown_key',
    );
  });

  it('detects any flipped byte of IV, ciphertext or tag', () => {
    const envelope = sealBytes(keys, Buffer.from('do not touch'));
    for (let i = 4; i < envelope.length; i++) {
      const tampered = Buffer.from(envelope);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      expectSealError(() => openBytes(keys, tampered), 'seal_tampered');
    }
  });

  it('refuses an envelope relabelled with another kid of the same keyring', () => {
    const both = createKeyring(`${k2},${k1}`).derive('seal-test');
    const envelope = sealBytes(both, Buffer.from('x'));
    envelope.write('k1', 2);
    expectSealError(() => openBytes(both, envelope), 'seal_tampered');
  });

  it('binds the envelope to its context (aad): another or no context fails', () => {
    const envelope = sealBytes(keys, Buffer.from('secret'), 'user-1');
    expect(openBytes(keys, envelope, 'user-1').toString()).toBe('secret');
    expectSealError(() => openBytes(keys, envelope, 'user-2'), 'seal_tampered');
    expectSealError(() => openBytes(keys, envelope), 'seal_tampered');
  });

  it('keeps purposes apart: a key derived for another purpose cannot open it', () => {
    const envelope = sealBytes(keys, Buffer.from('x'));
    expectSealError(() => openBytes(createKeyring(k1).derive('other'), envelope), 'seal_tampered');
  });

  it.each([
    ['empty input', Buffer.alloc(0)],
    [
      'an unknown version',
      Buffer.concat([Buffer.from([2, 2]), Buffer.from('k1'), randomBytes(40)]),
    ],
    ['a truncated envelope', sealBytes(keys, Buffer.alloc(0)).subarray(0, 20)],
  ])('calls %s malformed', (_case, envelope) => {
    expectSealError(() => openBytes(keys, envelope), 'seal_malformed');
  });
});

describe('sealJson / openJson', () => {
  it('round-trips a JSON value', () => {
    const value = { userId: 'u_1', codes: ['a', 'b'], n: 3 };
    expect(openJson(keys, sealJson(keys, value, 'ctx'), 'ctx')).toEqual(value);
  });
});
