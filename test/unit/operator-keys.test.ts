import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/runtime/config.js';
import {
  loadOrCreateOperatorKey,
  operatorKeyFile,
  operatorSurfaces,
} from '../../src/runtime/operator-keys.js';

describe('the operator key of embedded mode (loopback grants nothing, so a key is made)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const dataDir = async () => {
    dir = await mkdtemp(join(tmpdir(), 'parcours-operator-'));
    return join(dir, 'data');
  };

  it('is generated once, 256 random bits kept 0600, and the same on restart', async () => {
    const data = await dataDir();
    const key = await loadOrCreateOperatorKey(data);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(operatorKeyFile(data))).mode & 0o777).toBe(0o600);
    expect((await stat(data)).mode & 0o777).toBe(0o700);
    expect(await loadOrCreateOperatorKey(data)).toBe(key);
    expect((await readFile(operatorKeyFile(data), 'utf8')).trim()).toBe(key);
  });

  it('gives processes starting together the same key', async () => {
    const data = await dataDir();
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateOperatorKey(data)));
    expect(new Set(keys).size).toBe(1);
  });

  it('refuses a key file that holds no key, rather than open the door to an empty password', async () => {
    const data = await dataDir();
    await loadOrCreateOperatorKey(data);
    await writeFile(operatorKeyFile(data), '\n');
    await expect(loadOrCreateOperatorKey(data)).rejects.toThrow(/holds no key/);
  });

  it('serves the dashboard, funnel API and codec in embedded mode with that key where none is given', async () => {
    const data = await dataDir();
    const surfaces = await operatorSurfaces(loadConfig({ PARCOURS_DATA_DIR: data }));
    const key = await loadOrCreateOperatorKey(data);
    expect(surfaces).toMatchObject({
      analytics: { adminKey: key },
      codec: { decodeKey: key },
      generatedKey: key,
    });
    expect(surfaces.codec).not.toHaveProperty('encodeKey');
    const admin = 'a'.repeat(40);
    const some = await operatorSurfaces(
      loadConfig({ PARCOURS_DATA_DIR: data, PARCOURS_ADMIN_KEY: admin }),
    );
    expect(some).toMatchObject({ analytics: { adminKey: admin }, codec: { decodeKey: key } });
  });

  it('makes no key file when every key is given, nor outside embedded mode', async () => {
    const data = await dataDir();
    const keys = { PARCOURS_ADMIN_KEY: 'a'.repeat(40), PARCOURS_CODEC_KEY: 'c'.repeat(40) };
    const given = await operatorSurfaces(loadConfig({ PARCOURS_DATA_DIR: data, ...keys }));
    expect(given.generatedKey).toBeUndefined();
    const db = { PARCOURS_DATA_DIR: data, DATABASE_URL: 'postgres://db.internal/parcours' };
    expect(await operatorSurfaces(loadConfig(db))).toEqual({});
    await expect(stat(operatorKeyFile(data))).rejects.toThrow(/ENOENT/);
  });

  it('refuses an encode key that is the generated operator key', async () => {
    const data = await dataDir();
    const key = await loadOrCreateOperatorKey(data);
    await expect(
      operatorSurfaces(loadConfig({ PARCOURS_DATA_DIR: data, PARCOURS_CODEC_ENCODE_KEY: key })),
    ).rejects.toThrow(/PARCOURS_CODEC_ENCODE_KEY must be a key of its own/);
  });
});
