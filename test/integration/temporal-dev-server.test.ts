import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { isPortFree } from '../../src/runtime/free-port.js';
import {
  startTemporalDevServer,
  type TemporalDevServer,
} from '../../src/runtime/temporal-dev-server.js';

const namespace = 'default';

// Each start is well under a second here; the margin is for loaded CI machines.
describe('startTemporalDevServer', { timeout: 60_000 }, () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(
    opts: Parameters<typeof startTemporalDevServer>[0],
  ): Promise<TemporalDevServer> {
    const server = await startTemporalDevServer(opts);
    cleanups.push(() => server.stop());
    return server;
  }

  it('serves the namespace with the requested search attributes on a free port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parcours-temporal-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = await start({
      port: 0,
      uiPort: false,
      namespace,
      dbFile: join(dir, 'temporal.db'),
      searchAttributes: { ParcoursJourney: 'Keyword' },
    });

    const connection = await Connection.connect({ address: server.address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace,
      });
      // IndexedValueType 2 = KEYWORD in temporal.api.enums.v1.
      expect(customAttributes?.ParcoursJourney).toBe(2);
    } finally {
      await connection.close();
    }
    expect(server.uiUrl).toBeUndefined();
  });

  it('frees its port once stopped', async () => {
    const server = await start({ port: 0, uiPort: false });
    const port = Number(server.address.split(':')[1]);
    expect(await isPortFree(port)).toBe(false);

    await server.stop();
    await server.stop(); // idempotent

    expect(await isPortFree(port)).toBe(true);
  });

  it("rejects with the server's stderr when the server exits during start", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parcours-temporal-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // A directory where the SQLite file should be makes the server exit at once.
    await expect(start({ port: 0, uiPort: false, dbFile: dir })).rejects.toThrow(
      /exited early[\s\S]*stderr:/,
    );
  });

  it('refuses a port that is already taken', async () => {
    const server = await start({ port: 0, uiPort: false });
    const port = Number(server.address.split(':')[1]);
    await expect(start({ port, uiPort: false })).rejects.toThrow(/already in use/);
  });
});
