import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createKeyring,
  generateKeySpec,
  KeySpecError,
  loadOrCreateKeySpec,
} from '../../../src/security/keyring.js';

const key = () => randomBytes(32).toString('base64');

describe('createKeyring', () => {
  it('makes the first key of the list the active one', () => {
    const keyring = createKeyring(`k2:${key()},k1:${key()}`);
    expect(keyring.activeKid).toBe('k2');
    expect(keyring.derive('seal').activeKid).toBe('k2');
  });

  it('lists every kid of a derived set, the active one first, so older hashes can still be found', () => {
    const keyring = createKeyring(`k3:${key()},k1:${key()},k2:${key()}`);
    expect(keyring.derive('x').kids).toEqual(['k3', 'k1', 'k2']);
  });

  it('derives a 32-byte key per kid, distinct per purpose and per kid', () => {
    const keyring = createKeyring(`k2:${key()},k1:${key()}`);
    const a = keyring.derive('purpose-a');
    const b = keyring.derive('purpose-b');
    expect(a.active).toHaveLength(32);
    expect(a.key('k2')).toEqual(a.active);
    expect(a.key('k1')).toHaveLength(32);
    expect(a.key('k1')?.equals(a.active)).toBe(false);
    expect(b.active.equals(a.active)).toBe(false);
  });

  it('derives the same keys from the same spec, so data sealed before a restart still opens', () => {
    const spec = `k1:${key()}`;
    expect(createKeyring(spec).derive('x').active).toEqual(createKeyring(spec).derive('x').active);
  });

  it('never hands out the master key itself', () => {
    const master = randomBytes(32);
    const derived = createKeyring(`k1:${master.toString('base64')}`).derive('x').active;
    expect(derived.equals(master)).toBe(false);
  });

  it('memoizes derivations per purpose', () => {
    const keyring = createKeyring(`k1:${key()}`);
    expect(keyring.derive('x')).toBe(keyring.derive('x'));
  });

  it('knows nothing of a kid that is not in the list', () => {
    expect(createKeyring(`k1:${key()}`).derive('x').key('k0')).toBeUndefined();
  });

  it('tolerates spaces around entries', () => {
    expect(createKeyring(` k1:${key()} , k0:${key()} `).activeKid).toBe('k1');
  });

  it.each([
    [
      'a key of the wrong length',
      `x:${randomBytes(16).toString('base64')}`,
      "PARCOURS_KEYS: key 'x' must be 32 bytes base64",
    ],
    [
      'a key that is not base64',
      'x:not*base64*at*all',
      "PARCOURS_KEYS: key 'x' must be 32 bytes base64",
    ],
    ['an entry without a key', 'x', "PARCOURS_KEYS: key 'x' must be 32 bytes base64"],
    ['an empty spec', '', 'PARCOURS_KEYS: no key given'],
    [
      'a duplicated kid',
      `x:${randomBytes(32).toString('base64')},x:${randomBytes(32).toString('base64')}`,
      "key id 'x' appears twice",
    ],
    [
      'an unusable kid',
      `bad kid:${randomBytes(32).toString('base64')}`,
      "key id 'bad kid' must be",
    ],
  ])('refuses %s with a clear message', (_case, spec, message) => {
    expect(() => createKeyring(spec)).toThrow(KeySpecError);
    expect(() => createKeyring(spec)).toThrow(message);
  });

  it('names the setting it was given in errors', () => {
    expect(() => createKeyring('x:AAAA', 'keys file')).toThrow(
      "keys file: key 'x' must be 32 bytes base64",
    );
  });
});

describe('generateKeySpec', () => {
  it('makes a fresh, valid one-key spec each time', () => {
    const spec = generateKeySpec();
    expect(createKeyring(spec).activeKid).toBe('k1');
    expect(generateKeySpec()).not.toBe(spec);
    expect(createKeyring(generateKeySpec('k7')).activeKid).toBe('k7');
  });
});

describe('loadOrCreateKeySpec', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates the data folder and a 0600 keys file on first use, then returns the same spec', async () => {
    dir = await mkdtemp(join(tmpdir(), 'parcours-keys-'));
    const dataDir = join(dir, 'nested', 'data');
    const spec = await loadOrCreateKeySpec(dataDir);
    expect(createKeyring(spec).activeKid).toBe('k1');
    expect((await stat(join(dataDir, 'keys'))).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateKeySpec(dataDir)).toBe(spec);
  });

  it('keeps a keys file an operator wrote', async () => {
    dir = await mkdtemp(join(tmpdir(), 'parcours-keys-'));
    const spec = `k9:${key()},k8:${key()}`;
    await writeFile(join(dir, 'keys'), `${spec}\n`);
    expect(await loadOrCreateKeySpec(dir)).toBe(spec);
    expect(await readFile(join(dir, 'keys'), 'utf8')).toBe(`${spec}\n`);
  });

  it('gives every concurrent caller the same key', async () => {
    dir = await mkdtemp(join(tmpdir(), 'parcours-keys-'));
    const specs = await Promise.all(
      Array.from({ length: 5 }, () => loadOrCreateKeySpec(dir as string)),
    );
    expect(new Set(specs).size).toBe(1);
  });
});
