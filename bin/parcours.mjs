#!/usr/bin/env node
// `npx parcours …` from the repository root: the CLI is TypeScript, run through tsx's loader in
// this same process (no second Node to start).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/parcours.ts');
await main();
