import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepApiClient } from '../support/http.js';
import { runSchemathesis } from '../support/schemathesis.js';
import { signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'contract-fuzzing-operator-key-0123456789';

interface ListedVersion {
  journey: string;
  version: number;
  latest: boolean;
  steps: string[];
}

describe('the OpenAPI document against a client we did not write (schemathesis, real Temporal and Postgres)', () => {
  let smtp: SmtpSink;
  let stack: Stack;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({
      smtpUrl: smtp.url,
      env: {
        PARCOURS_ADMIN_KEY: ADMIN_KEY,
        // A return address pattern in the start schemas, for schemathesis to try both sides of.
        RETURN_TO_ALLOWED: 'https://app.example/account',
        // Hundreds of requests from one address in a minute: the limits have tests of their own.
        RATE_LIMIT_PER_MINUTE: '1000000',
        RATE_LIMIT_READS_PER_MINUTE: '1000000',
        CODES_PER_RECIPIENT_PER_HOUR: '1000',
        CODES_PER_REQUESTER_PER_HOUR: '1000',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  it('finds no disagreement between the document and the API: coverage, fuzzing and stateful phases, every check', async () => {
    const api = stepApiClient(stack.url);
    // Real credentials per area: a session for the sessions API and session-started journeys (and
    // one more for logout to spend), the operator key for analytics, a live run for its steps.
    const [customer, leaving, revoking] = [
      await signUp(api, smtp),
      await signUp(api, smtp),
      await signUp(api, smtp),
    ];
    // A registered app, for the app API (first-party: it reaches every customer).
    const app = await api.call('POST', '/v1/admin/apps', {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      body: {
        id: 'contract-app',
        name: 'Contract',
        kind: 'first_party',
        attributes: ['given_name'],
      },
    });
    expect(app.status).toBe(201);
    const run = (await api.start('registration')).body;
    const listed: ListedVersion[] = (await api.call('GET', '/v1/journeys')).body.journeys;
    const runSteps = new Set(listed.find((v) => v.journey === 'registration' && v.latest)?.steps);
    // Bounded: a latest version's pinned start takes the same body as its journey's own start,
    // and the live run is a registration, where any other journey's step answers 404.
    const leftOut = [
      ...listed.filter((v) => v.latest).map((v) => `/v1/journeys/${v.journey}@${v.version}/start`),
      ...[...new Set(listed.flatMap((v) => v.steps))]
        .filter((step) => !runSteps.has(step))
        .map((step) => `/v1/journeys/{id}/steps/${step}`),
    ];

    const started = Date.now();
    const { exitCode, report } = await runSchemathesis(
      [
        `${stack.url}/openapi.json`,
        '--phases=coverage,fuzzing,stateful',
        '--max-examples=10',
        '--request-timeout=10',
        ...leftOut.flatMap((path) => ['--exclude-path', path]),
      ],
      {
        PARCOURS_TEST_SESSION: customer.sessionToken,
        PARCOURS_TEST_LOGOUT_SESSION: leaving.sessionToken,
        PARCOURS_TEST_REVOKING_SESSION: revoking.sessionToken,
        PARCOURS_TEST_APP_ID: 'contract-app',
        PARCOURS_TEST_APP_SECRET: app.body.client_secret,
        PARCOURS_TEST_USER_ID: customer.userId,
        PARCOURS_TEST_ADMIN_KEY: ADMIN_KEY,
        PARCOURS_TEST_JOURNEY_ID: run.id,
        PARCOURS_TEST_JOURNEY_TOKEN: run.token,
      },
    );
    const cases = /(\d+) generated/.exec(report)?.[1];
    console.log(`schemathesis: ${cases ?? '?'} cases in ${(Date.now() - started) / 1000} s`);
    expect(exitCode, report).toBe(0);
    expect(Number(cases), report).toBeGreaterThan(0);
  }, 120_000);
});
