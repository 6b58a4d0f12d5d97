import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { spawnStart } from '../support/embedded-engine.js';

/** Processes whose command line names `text` (the engine's children name its data folder). */
async function processesNaming(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(text)) found.push(commandLine.replaceAll('\0', ' '));
  }
  return found;
}

it('refuses a port already taken with the reason, exits 1 and leaves no Temporal dev server behind', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'parcours-port-taken-'));
  const squatter = createServer().listen(0, '127.0.0.1');
  await once(squatter, 'listening');
  const { port } = squatter.address() as { port: number };
  try {
    const engine = spawnStart(dataDir, port);
    let output = '';
    engine.stdout?.on('data', (chunk) => (output += chunk));
    engine.stderr?.on('data', (chunk) => (output += chunk));
    const [code] = await once(engine, 'exit');
    expect(code).toBe(1);
    expect(output).toContain(`127.0.0.1:${port} is already in use (EADDRINUSE): set PORT`);
    expect(output).not.toContain('Unhandled');
    expect(await processesNaming(dataDir)).toEqual([]);
  } finally {
    squatter.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}, 120_000);
