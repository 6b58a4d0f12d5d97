import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { codeIn, stepApiClient } from './http.js';
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

async function expectStatus(answer: Promise<{ status: number; body: any }>, status: number, what: string) {
  const { status: got, body } = await answer;
  if (got !== status) throw new Error(`${what}: expected ${status}, got ${got} ${JSON.stringify(body)}`);
  return body;
}

/**
 * Drives registration@1 over the step API to completion, with one wrong code first so the history
 * also holds a business failure (a local activity that failed) and a second code check.
 */
export async function registerOverHttp({ url, smtp, email, password }: RegistrationOptions): Promise<RegistrationRun> {
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
  if (done.status !== 'completed') throw new Error(`registration did not complete: ${JSON.stringify(done)}`);
  return { id, email, password, code, wrongCode, sessionToken: done.result.session.token, userId: done.result.user.id };
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
