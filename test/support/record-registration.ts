import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import {
  type History,
  historyFromJSON,
  historyToJSON,
} from '@temporalio/common/lib/proto-utils.js';
import { type Answer, codeIn, stepApiClient } from './http.js';
import type { SmtpSink } from './smtp-sink.js';

/** Everything secret or personal a registration handled: what its history must not show. */
export interface RegistrationRun {
  id: string;
  email: string;
  password: string;
  /** The right code, then the wrong one submitted before it. */
  code: string;
  wrongCode: string;
  sessionToken: string;
  userId: string;
}

export interface RegistrationOptions {
  url: string;
  smtp: SmtpSink;
  email: string;
  password: string;
}

async function expectStatus(answer: Promise<Answer>, status: number, what: string) {
  const { status: got, body } = await answer;
  if (got !== status)
    throw new Error(`${what}: expected ${status}, got ${got} ${JSON.stringify(body)}`);
  return body;
}

/**
 * Drives registration (its latest version) over the step API to completion, with one wrong code first so the history
 * also holds a business failure (a local activity that failed) and a second code check.
 */
export async function registerOverHttp({
  url,
  smtp,
  email,
  password,
}: RegistrationOptions): Promise<RegistrationRun> {
  const api = stepApiClient(url);
  const started = await expectStatus(api.start('registration'), 201, 'start');
  const { id, token } = started as { id: string; token: string };
  await expectStatus(api.submit(id, token, 'credentials', { email, password }), 200, 'credentials');
  const mail = await smtp.waitFor((message) => message.to.includes(email.trim().toLowerCase()));
  const code = codeIn(mail.text);
  const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  await expectStatus(api.submit(id, token, 'verify-email', { code: wrongCode }), 422, 'wrong code');
  const terms = await expectStatus(api.submit(id, token, 'verify-email', { code }), 200, 'code');
  const done = await expectStatus(
    api.submit(id, token, 'terms', { accept: true, policyVersion: terms.step.data.policyVersion }),
    200,
    'terms',
  );
  if (done.status !== 'completed')
    throw new Error(`registration did not complete: ${JSON.stringify(done)}`);
  return {
    id,
    email,
    password,
    code,
    wrongCode,
    sessionToken: done.result.session.token,
    userId: done.result.user.id,
  };
}

/** Runs a registration and returns its complete history, once the workflow has closed. */
export async function recordRegistration(
  options: RegistrationOptions & { temporal: Client },
): Promise<{ run: RegistrationRun; history: History }> {
  const run = await registerOverHttp(options);
  const handle = options.temporal.workflow.getHandle(run.id);
  await handle.result();
  return { run, history: await handle.fetchHistory() };
}

const histories = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/**
 * The checked-in registration histories: registration@1 on each workflow type one of its runs may
 * still be open on (workers/workflow/journey-workflow.ts), and registration@2, what new runs start
 * on. `scripts/record-history.ts` records the current one (`latest`).
 */
export const registrationHistoryFixtures = {
  /** registration@1 on `journeyWorkflow`, engine 1: runs started before engine 2. Never re-recorded. */
  engine1: join(histories, 'registration-v1.json'),
  /** registration@1 on `journeyWorkflowV2`, engine 2. Never re-recorded. */
  engine2: join(histories, 'registration-v1-engine2.json'),
  /** registration@2 on `journeyWorkflowV2`, engine 2. Never re-recorded. */
  v2engine2: join(histories, 'registration-v2-engine2.json'),
  /** registration@2 on `journeyWorkflowV3`: what new runs start on. */
  latest: join(histories, 'registration-v2.json'),
};

/** The dedicated, public test-only key spec the recorded histories are encrypted with. */
export async function testKeySpec(): Promise<string> {
  const text = await readFile(join(histories, 'test-keys.txt'), 'utf8');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .join(',');
}

/** Writes a history as Temporal's proto JSON. */
export async function writeHistoryFile(path: string, history: History): Promise<void> {
  await writeFile(path, `${JSON.stringify(historyToJson(history), null, 2)}\n`);
}

/** Reads a history in Temporal's proto JSON, as {@link writeHistoryFile} writes it. */
export async function readHistoryFile(path: string): Promise<History> {
  return historyFromJson(JSON.parse(await readFile(path, 'utf8')));
}

// Temporal's proto JSON: the Temporal CLI's and UI's history format.
export const historyToJson = (history: History): unknown => JSON.parse(historyToJSON(history));

export function historyFromJson(json: unknown): History {
  const history = historyFromJSON(json);
  if (!history?.events?.length) throw new Error('not a Temporal history');
  return history;
}
