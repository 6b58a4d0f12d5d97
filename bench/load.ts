// The load: customers registering over the step API as an app drives it, one HTTP call per step,
// the code read from the real SMTP server the worker sends to.
import { codeIn, stepApiClient } from '../test/support/http.js';
import type { SmtpSink } from '../test/support/smtp-sink.js';

export const STEPS = ['start', 'credentials', 'verify-email', 'terms'] as const;
export type Step = (typeof STEPS)[number];

export interface LoadResult {
  latencies: Record<Step, number[]>;
  seconds: number;
  journeyIds: string[];
  errors: string[];
}

/** Times one call of a step into `latencies`, and fails it unless it answers `expected`. */
const timer =
  <S extends string>(latencies: Record<S, number[]>) =>
  async <T extends { status: number; body: unknown }>(
    step: S,
    expected: number,
    call: () => Promise<T>,
  ): Promise<T> => {
    const started = performance.now();
    const answer = await call();
    latencies[step].push(performance.now() - started);
    if (answer.status !== expected)
      throw new Error(`${step}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    return answer;
  };

/** Runs `run(0..count-1)` with at most `width` in flight. */
export async function pool(
  count: number,
  width: number,
  run: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) await run(next++);
    }),
  );
}

/**
 * Where the target starts a registration, from its own OpenAPI document: a baseline checkout may
 * predate the start's move from `/v1/journeys/{journey}` to `/v1/journeys/{journey}/start`, and
 * later documents name each journey's start path itself (`/v1/journeys/registration/start`).
 */
async function registrationStartPath(apiUrl: string): Promise<string> {
  const doc = (await (await fetch(`${apiUrl}/openapi.json`)).json()) as {
    paths: Record<string, { post?: unknown }>;
  };
  const starts = Object.keys(doc.paths).filter((path) => doc.paths[path]?.post);
  const template =
    starts.find((path) => path === '/v1/journeys/registration/start') ??
    starts.find((path) => path.startsWith('/v1/journeys/{journey}'));
  if (!template) throw new Error('the OpenAPI document names no journey start');
  return template.replace('{journey}', 'registration');
}

/** `count` registrations, `concurrency` at a time; a failed journey is recorded, not retried. */
export async function registrations(options: {
  apiUrl: string;
  smtp: SmtpSink;
  count: number;
  concurrency: number;
  /** Makes the addresses of this batch unique. */
  tag: string;
}): Promise<LoadResult> {
  const client = stepApiClient(options.apiUrl);
  const startPath = await registrationStartPath(options.apiUrl);
  const latencies: Record<Step, number[]> = {
    start: [],
    credentials: [],
    'verify-email': [],
    terms: [],
  };
  const journeyIds: string[] = [];
  const errors: string[] = [];
  const timed = timer(latencies);
  const runOne = async (index: number) => {
    const email = `bench-${options.tag}-${index}@example.com`;
    try {
      const started = await timed(
        'start',
        201,
        () => client.call('POST', startPath) as ReturnType<typeof client.start>,
      );
      const { id, token } = started.body;
      journeyIds.push(id);
      await timed('credentials', 200, () =>
        client.submit(id, token, 'credentials', {
          email,
          password: `bench passphrase number ${index}`,
        }),
      );
      const mail = await options.smtp.waitFor((message) => message.to.includes(email), 60_000);
      await timed('verify-email', 200, () =>
        client.submit(id, token, 'verify-email', { code: codeIn(mail.text) }),
      );
      const done = await timed('terms', 200, () =>
        client.submit(id, token, 'terms', { accept: true, policyVersion: '2026-11-01' }),
      );
      if (done.body.status !== 'completed')
        throw new Error(
          `ended ${done.body.status} at ${done.body.step?.name} (${done.body.step?.error?.code ?? done.body.error?.code})`,
        );
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  };
  const started = performance.now();
  await pool(options.count, options.concurrency, runOne);
  return { latencies, seconds: (performance.now() - started) / 1000, journeyIds, errors };
}

export const LOGIN_STEPS = ['start', 'identify', 'password'] as const;
export type LoginStep = (typeof LOGIN_STEPS)[number];

/** Whether the target serves login@1 (a baseline checkout may predate it). */
export async function servesLogin(apiUrl: string): Promise<boolean> {
  const answer = await fetch(`${apiUrl}/v1/journeys`);
  const { journeys } = (await answer.json()) as { journeys: Array<{ journey: string }> };
  return journeys.some((journey) => journey.journey === 'login');
}

/**
 * Whether the target's login takes the address and the password in one submission (a baseline
 * checkout may ask for them one step at a time), read from the JSON Schema its first step
 * publishes: no sign-in is tried, so no failure counts against the load generator's address.
 */
export async function signsInInOneStep(apiUrl: string): Promise<boolean> {
  const { step } = (await stepApiClient(apiUrl).start('login')).body;
  const schema = step?.schema as { properties?: object; anyOf?: Array<{ properties?: object }> };
  return [schema, ...(schema?.anyOf ?? [])].some(
    (branch) => branch?.properties !== undefined && 'password' in branch.properties,
  );
}

/**
 * Password sign-ins (login@1) of registered accounts, `concurrency` at a time: the address and
 * the password in one submission where the target takes them so (timed as the password step),
 * else one step each.
 */
export async function logins(options: {
  apiUrl: string;
  accounts: Array<{ email: string; password: string }>;
  concurrency: number;
  oneStep: boolean;
}): Promise<{ latencies: Record<LoginStep, number[]>; seconds: number; errors: string[] }> {
  const client = stepApiClient(options.apiUrl);
  const latencies: Record<LoginStep, number[]> = { start: [], identify: [], password: [] };
  const errors: string[] = [];
  const timed = timer(latencies);
  const started = performance.now();
  await pool(options.accounts.length, options.concurrency, async (index) => {
    const account = options.accounts[index] as { email: string; password: string };
    try {
      const { id, token } = (await timed('start', 201, () => client.start('login'))).body;
      const done = options.oneStep
        ? await timed('password', 200, () => client.submit(id, token, 'identify', account))
        : await timed('identify', 200, () =>
            client.submit(id, token, 'identify', { email: account.email }),
          ).then(() =>
            timed('password', 200, () =>
              client.submit(id, token, 'password', { password: account.password }),
            ),
          );
      if (done.body.status !== 'completed')
        throw new Error(
          `ended ${done.body.status} at ${done.body.step?.name} (${done.body.step?.error?.code ?? done.body.error?.code})`,
        );
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  });
  return { latencies, seconds: (performance.now() - started) / 1000, errors };
}

/** The accounts a `registrations` batch made: its addresses and passwords, by index. */
export const registeredAccounts = (tag: string, count: number) =>
  Array.from({ length: count }, (_, index) => ({
    email: `bench-${tag}-${index}@example.com`,
    password: `bench passphrase number ${index}`,
  }));
