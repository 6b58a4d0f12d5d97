import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startTemporalDevServer } from '../../src/runtime/temporal-dev-server.js';
import { journeySearchAttributeTypes } from '../../src/temporal/connection.js';
import { workflowBundleOptions } from '../../workers/worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

/**
 * Integration tests share one real Temporal dev server (the same CLI `npm start` uses) and one
 * workflow bundle; each test file gets its own database and task queue.
 */
export default async function setup(project: TestProject) {
  const server = await startTemporalDevServer({
    port: 0,
    uiPort: false,
    searchAttributes: journeySearchAttributeTypes,
  });
  const dir = await mkdtemp(join(tmpdir(), 'parcours-bundle-'));
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions,
    logger: {
      log: () => {},
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: console.warn,
      error: console.error,
    },
  });
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(workflowBundlePath, code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', workflowBundlePath);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
