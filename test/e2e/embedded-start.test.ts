import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
import { codeIn, stepApiClient } from '../support/http.js';
import { expectProblem, rawRequest, requestNaming } from '../support/raw-http.js';

let engine: EmbeddedEngine;
let dataDir: string;
const operatorKey = async () => (await readFile(join(dataDir, 'operator-key'), 'utf8')).trim();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parcours-embedded-'));
  engine = await startEmbeddedEngine(dataDir);
}, 120_000);
afterAll(async () => {
  await engine?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

it('registers a customer on the embedded defaults, reading the code from the dev outbox, and keeps it across a restart', async () => {
  expect(engine.output()).toContain('embedded dev server');
  expect(engine.output()).toContain('embedded Postgres (PGlite)');
  const key = await operatorKey();
  expect(engine.output()).toContain(
    `operator key  ${key}  (dashboard, funnel API, codec; also in ${dataDir}/operator-key)`,
  );
  const api = stepApiClient(engine.url);
  expect((await api.call('GET', '/readyz')).body).toMatchObject({ database: 'ok', temporal: 'ok' });

  const { id, token } = (await api.start()).body;
  await api.submit(id, token, 'credentials', {
    email: 'newcomer@example.com',
    password: 'first day at parcours',
  });
  const outbox = await api.call('GET', '/dev/outbox', { headers: { accept: 'application/json' } });
  const [mail] = outbox.body.messages;
  expect(mail).toMatchObject({ to: 'newcomer@example.com', template: 'registration-code' });
  await api.submit(id, token, 'verify-email', { code: codeIn(mail.text) });
  const done = await api.submit(id, token, 'terms', { accept: true, policyVersion: '2026-11-01' });
  expect(done.body).toMatchObject({
    status: 'completed',
    result: { session: { token: expect.any(String) } },
  });

  // Ctrl-C stops everything cleanly; the data folder keeps Temporal's history, the database and the keys.
  expect(await engine.stop()).toBe(0);
  engine = await startEmbeddedEngine(dataDir);
  expect(engine.output()).toContain(`operator key  ${key}  (`);
  const again = await stepApiClient(engine.url).get(id, token);
  expect(again.body).toMatchObject({
    status: 'completed',
    result: { user: { id: done.body.result.user.id } },
  });
}, 180_000);

it('asks the operator key it printed even of clients on this machine, and answers no request addressed to another host', async () => {
  const api = stepApiClient(engine.url);
  const asOperator = { authorization: `Bearer ${await operatorKey()}` };
  const surfaces = [
    { method: 'GET', path: '/dashboard/' },
    { method: 'GET', path: '/v1/analytics/journeys/registration/funnel' },
    { method: 'POST', path: '/codec/decode', body: { payloads: [] } },
  ];
  for (const { method, path, body } of surfaces) {
    const headers = { accept: 'application/json' };
    expectProblem(await api.call(method, path, { body, headers }), 401, 'operator_key_required');
    const answer = await rawRequest(engine.url, method, path, {
      headers: { ...asOperator, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(answer.status, path).toBe(200);
  }
  // Encoding is off unless a key of its own is set.
  const encode = { body: { payloads: [] }, headers: asOperator };
  expectProblem(await api.call('POST', '/codec/encode', encode), 404, 'not_found');
  // A page on a rebound DNS name reaches 127.0.0.1 but names its own host (ASVS 5.0 V3.5).
  const port = new URL(engine.url).port;
  for (const path of ['/dev/outbox', '/dashboard/', '/v1/journeys'])
    expectProblem(
      await requestNaming(`attacker.example:${port}`, engine.url, 'GET', path, {
        headers: { ...asOperator, accept: 'application/json' },
      }),
      421,
      'misdirected_request',
    );
});

it('runs the curl walkthroughs of the README and docs as written, twice in a row, and shows a refused call instead of hiding it', async () => {
  // In the order a newcomer pastes them: each uses what the ones before it set.
  const walkthroughs = [
    shellBlock('README.md', 'Register a customer with curl'),
    // Before the second factor of the sign-in walkthrough: these sign-ins give the password alone.
    shellBlock('README.md', 'One profile, filled in a little at a time, with curl'),
    shellBlock('docs/walkthroughs.md', 'Consent, enforced when a partner app reads, with curl'),
    shellBlock('docs/walkthroughs.md', 'Recover the account'),
    shellBlock('docs/walkthroughs.md', 'Change the email address'),
    shellBlock(
      'docs/walkthroughs.md',
      'Sign in, with an authenticator app as a second factor, and step up',
    ),
    shellBlock('docs/analytics.md', 'Funnel analytics'),
  ].join('\n');
  const walkthrough = againstEngine(walkthroughs, engine);
  // The second round ends with the same step again: `call` prints the refusal and fails, where
  // plain curl -s printed nothing. (Two rounds, not three: the walkthroughs' writes in one minute
  // stay under the API's per-network limit, as a person pasting them would.)
  const sameStepAgain = `call -X POST $API/v1/journeys/$ID/steps/totp \\
  -H "Journey-Token: $TOKEN" -H 'Content-Type: application/json' -d '{"code":"000000"}'`;
  for (const round of [1, 2]) {
    const run = runShell(round === 1 ? walkthrough : `${walkthrough}\n${sameStepAgain}`);
    if (round === 1) expect(run.status, `round ${round}:\n${run.stdout}\n${run.stderr}`).toBe(0);
    else {
      expect(run.status, `round ${round}:\n${run.stdout}\n${run.stderr}`).not.toBe(0);
      expect(run.stderr).toMatch(/HTTP 409 \{.*"code":"journey_closed"/);
    }
    expect(run.stdout).toContain('"status": "completed"');
    expect(run.stdout).toContain('logged out');
    // Progressive profiling: asked at the third sign-in, skipped, resting, then asked again.
    expect(run.stdout).toContain('"journey": "progressive-profiling"');
    expect(run.stdout).toContain('"nothing asked: the question rests"');
    expect(run.stdout).toMatch(/"given_name": "Ada",\s*"family_name": "Lovelace"/);
    // Consent: no email for the partner, then the email once granted, then none once withdrawn,
    // every read with the same client credentials.
    expect(run.stdout).toMatch(
      /\{"sub":"[^"]+"\}\n"completed"\n\{"sub":"[^"]+","email":"[^"]+"\}\n"withdrawn"\n\{"sub":"[^"]+"\}\n/,
    );
    expect(run.stdout).toContain('other sessions ended');
    expect(run.stdout).toMatch(/"aal": 1,\s*"amr": \[\s*"otp"\s*\]/);
    expect(run.stdout).toMatch(/"aal": 2,\s*"amr": \[\s*"pwd",\s*"otp",\s*"mfa"\s*\]/);
    expect(run.stdout).toContain('"type": "session_raised"');
    expect(run.stdout).toContain('old token refused');
    expect(run.stdout).toMatch(/"remaining": 9/);
    // The funnel counts the registrations the walkthrough made, read with the operator key.
    expect(run.stdout).toMatch(/"step": "credentials",\s*"reached": \d+/);
  }
}, 300_000);
