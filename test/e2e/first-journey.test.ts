import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  againstEngine,
  type EmbeddedEngine,
  runShell,
  shellBlock,
  startEmbeddedEngine,
} from '../support/embedded-engine.js';

let engine: EmbeddedEngine;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parcours-first-journey-'));
  engine = await startEmbeddedEngine(dataDir);
}, 120_000);
afterAll(async () => {
  await engine?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

it("runs the first-journey guide's curl walkthrough as written, twice in a row, and shows a wrong code refused", async () => {
  const walkthrough = againstEngine(
    shellBlock('docs/first-journey-run.md', '6. Run it for real'),
    engine,
  );
  for (const round of [1, 2]) {
    const run = runShell(walkthrough);
    expect(run.status, `round ${round}:\n${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('"journey":"newsletter"');
    expect(run.stdout).toMatch(/"step": "subscribe",\s*"data": \{\s*"list": "newsletter"/);
    expect(run.stdout).toMatch(/"name": "confirm"/);
    expect(run.stdout).toMatch(/"status": "completed",\s*"result": \{\s*"type": "none"/);
  }
  // The refusals the guide invites a newcomer to try, as `call` shows them.
  const wrongCode =
    runShell(`${walkthrough.replace(/call -X POST \$API\/v1\/journeys\/\$ID\/steps\/confirm[\s\S]*$/, '')}
WRONG=$([ "$CODE" = 000000 ] && echo 111111 || echo 000000)
call -X POST $API/v1/journeys/$ID/steps/confirm -H "Journey-Token: $TOKEN" \\
  -H 'Content-Type: application/json' -d "{\\"code\\":\\"$WRONG\\"}"`);
  expect(wrongCode.status).not.toBe(0);
  expect(wrongCode.stderr).toMatch(/HTTP 422 \{.*"code":"invalid_code"/);
  const again = runShell(`${walkthrough}
call -X POST $API/v1/journeys/$ID/steps/confirm -H "Journey-Token: $TOKEN" \\
  -H 'Content-Type: application/json' -d "{\\"code\\":\\"$CODE\\"}"`);
  expect(again.status).not.toBe(0);
  expect(again.stderr).toMatch(/HTTP 409 \{.*"code":"journey_closed"/);
}, 120_000);
