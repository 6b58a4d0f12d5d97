// `npm run journeys:diagram`: writes docs/journeys/<id>@<version>.md, a Mermaid state diagram
// generated from each registered journey's machine (a unit test keeps the pages from drifting).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { journeyDefinitions } from '../../journeys/index.js';
import { activityNames } from '../activities/catalog.js';
import { journeyDiagramPage, journeyDiagramPath } from '../authoring/diagram.js';
import { createRegistry } from '../journey-registry/registry.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

try {
  for (const definition of createRegistry(journeyDefinitions, activityNames).list()) {
    const path = journeyDiagramPath(definition);
    await mkdir(dirname(join(repoRoot, path)), { recursive: true });
    await writeFile(join(repoRoot, path), journeyDiagramPage(definition));
    console.log(`wrote ${path}`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
