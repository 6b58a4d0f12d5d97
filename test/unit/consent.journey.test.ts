import { describe, expect, test } from 'vitest';
import { consent } from '../../journeys/consent.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import { defaultActivityResults } from '../../src/authoring/simulated-activities.js';
import {
  createJourneyTestKit,
  type FakeActivity,
  type JourneyTestKitOptions,
} from '../../src/authoring/test-kit.js';
import type { ConsentRequest, ShownPolicy } from '../../src/consent/consent-request.js';
import type { FieldError } from '../../src/errors/catalogue.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { SessionRef } from '../../src/journey-kit/define-journey.js';
import type { RunState } from '../../src/run/run-state.js';

const session: SessionRef = {
  id: 'session-1',
  userId: 'user-1',
  aal: 1,
  amr: ['pwd'],
  authTime: '2026-12-01T12:00:00.000Z',
  factorAuthTimes: { pwd: '2026-12-01T12:00:00.000Z' },
};

const policy = (name: string, version: string): ShownPolicy => ({
  policy: name,
  version,
  locale: 'en',
  content_hash: 'a'.repeat(64),
  material: true,
  effective_at: `${version}T00:00:00.000Z`,
  href: `/v1/policies/${name}/${version}/en`,
});

/** What the privacy and terms policies in effect ask: one optional purpose, one required. */
const REQUEST: ConsentRequest = {
  policies: [policy('privacy', '2026-12-01'), policy('terms', '2026-11-01')],
  purposes: [
    {
      id: 'partner_sharing',
      name: 'Share my email with Partner',
      attributes: ['email'],
      apps: ['partner'],
      policy: 'privacy',
      required: false,
      changed: 'new',
    },
    {
      id: 'service_emails',
      name: 'Emails about my account',
      attributes: ['email'],
      apps: ['shop'],
      policy: 'terms',
      required: true,
      decision: 'granted',
      decided_at: '2026-11-02T09:00:00.000Z',
    },
  ],
};
/** The same request once privacy has a newer version in effect. */
const REREAD: ConsentRequest = {
  ...REQUEST,
  policies: [policy('privacy', '2026-12-15'), policy('terms', '2026-11-01')],
  purposes: REQUEST.purposes.map((purpose) =>
    purpose.id === 'partner_sharing' ? { ...purpose, changed: 'policy_changed' } : purpose,
  ),
};
const NOTHING: ConsentRequest = { policies: [], purposes: [] };

const DECISIONS = {
  decisions: { partner_sharing: true, service_emails: true },
  policies: { privacy: '2026-12-01', terms: '2026-11-01' },
};
const STALE_PRIVACY: FieldError = {
  path: '/policies/privacy',
  code: 'policy_version_mismatch',
  message: 'The privacy policy in effect is version 2026-12-15: show it, then decide',
};

const stepOf = (view: RunState) => view.step as NonNullable<RunState['step']>;

const crash = () => {
  throw new Error('database unreachable');
};
const sessionGone = () => {
  throw businessFailure('session_required');
};

/** One answer per call, in order, the last repeating (as a simulation file reads them). */
const inTurn =
  (...answers: unknown[]): FakeActivity =>
  () =>
    answers.length > 1 ? answers.shift() : answers[0];

/**
 * consent@1 on the run's session against fakes of the consent activities: consentToAsk shows
 * REQUEST, recordConsent records every decision it is given.
 */
function startConsent(
  options: Omit<JourneyTestKitOptions, 'activities'> & {
    activities?: Partial<Record<ActivityName, FakeActivity>>;
  } = {},
) {
  const { activities, ...kitOptions } = options;
  return createJourneyTestKit(consent, {
    session,
    ...kitOptions,
    activities: {
      consentToAsk: () => REQUEST,
      recordConsent: (input: { decisions: Record<string, boolean> }) => ({
        recorded: Object.keys(input.decisions).length,
      }),
      ...activities,
    },
  });
}

/** A run showing the consent step. */
async function atConsent(options: Parameters<typeof startConsent>[0] = {}) {
  const kit = startConsent(options);
  await kit.view();
  return kit;
}

describe('consent@1: the way through', () => {
  test('completes at once with result none, showing no step, when there is nothing to ask', async () => {
    const kit = startConsent({ activities: { consentToAsk: () => NOTHING } });
    expect(await kit.view()).toEqual({ status: 'completed', result: { type: 'none' } });
    expect(kit.callsOf('consentToAsk')).toEqual([{ session, locales: [] }]);
    expect(kit.callsOf('recordConsent')).toEqual([]);
    await expect(kit.submit('consent', DECISIONS)).rejects.toMatchObject({
      name: 'SubmissionRefused',
      code: 'journey_closed',
    });
  });

  test("shows the request at consent, asked on the run's session in the customer's languages", async () => {
    const kit = startConsent({ start: { ui_locales: 'fr-FR en' } });
    expect(await kit.view()).toEqual({
      status: 'active',
      step: { name: 'consent', data: REQUEST },
    });
    expect(kit.callsOf('consentToAsk')).toEqual([{ session, locales: ['fr-FR', 'en'] }]);
  });

  test('records the decisions with the policy versions shown, on the session, as step consent, and completes with result none', async () => {
    const kit = await atConsent({ start: { ui_locales: 'fr' } });
    expect(await kit.submit('consent', DECISIONS)).toEqual({
      status: 'completed',
      result: { type: 'none' },
    });
    expect(kit.callsOf('recordConsent')).toEqual([
      { session, locales: ['fr'], step: 'consent', ...DECISIONS },
    ]);
    expect(kit.calls.map((call) => call.name)).toEqual(['consentToAsk', 'recordConsent']);
  });

  test('records a denial as it records a grant, and a purpose left out is not sent', async () => {
    const kit = await atConsent();
    const denial = { decisions: { partner_sharing: false }, policies: { privacy: '2026-12-01' } };
    expect((await kit.submit('consent', denial)).status).toBe('completed');
    expect(kit.callsOf('recordConsent')).toEqual([
      { session, locales: [], step: 'consent', ...denial },
    ]);
  });

  test('runs through on the default simulated activities: one purpose asked, then recorded', async () => {
    const kit = createJourneyTestKit(consent, {
      session,
      activities: {
        consentToAsk: defaultActivityResults.consentToAsk as FakeActivity,
        recordConsent: defaultActivityResults.recordConsent as FakeActivity,
      },
    });
    const { data } = stepOf(await kit.view());
    expect(data.purposes).toEqual([expect.objectContaining({ id: 'partner_sharing' })]);
    expect(
      await kit.submit('consent', {
        decisions: { partner_sharing: true },
        policies: { privacy: '2026-12-01' },
      }),
    ).toEqual({ status: 'completed', result: { type: 'none' } });
  });
});

describe('consent@1: the published view schema', () => {
  const viewSchema = consent.steps.deciding?.viewSchema as (
    data: Record<string, unknown>,
  ) => Record<string, unknown>;

  test('names exactly the purposes and policy versions of the view, a required purpose as const: true', async () => {
    const kit = await atConsent();
    expect(viewSchema(stepOf(await kit.view()).data)).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        decisions: {
          type: 'object',
          description: expect.any(String),
          properties: {
            partner_sharing: { type: 'boolean', description: 'Share my email with Partner' },
            service_emails: { const: true, description: 'Emails about my account' },
          },
          // Granted already: it may be left out, as the server takes it.
          required: [],
          additionalProperties: false,
        },
        policies: {
          type: 'object',
          description: expect.any(String),
          properties: {
            privacy: { const: '2026-12-01' },
            terms: { const: '2026-11-01' },
          },
          required: ['privacy', 'terms'],
          additionalProperties: false,
        },
      },
      required: ['decisions', 'policies'],
      additionalProperties: false,
    });
  });

  test('requires a required purpose the customer has not granted yet', () => {
    const undecided = {
      ...REQUEST,
      purposes: REQUEST.purposes.map(({ decision: _, decided_at: __, ...purpose }) => purpose),
    };
    const schema = viewSchema(undecided as unknown as Record<string, unknown>) as {
      properties: { decisions: { required: string[] } };
    };
    expect(schema.properties.decisions.required).toEqual(['service_emails']);
  });

  test('follows the view: after a stale page, it names the version now in effect', async () => {
    const kit = await atConsent({
      activities: {
        consentToAsk: inTurn(REQUEST, REREAD),
        recordConsent: () => ({ rejected: [STALE_PRIVACY], recorded: 0 }),
      },
    });
    const refused = await kit.submit('consent', DECISIONS);
    const schema = viewSchema(stepOf(refused).data) as {
      properties: { policies: { properties: Record<string, unknown> } };
    };
    expect(schema.properties.policies.properties).toEqual({
      privacy: { const: '2026-12-15' },
      terms: { const: '2026-11-01' },
    });
  });
});

describe('consent@1: decisions refused where they are recorded', () => {
  test('a stale policy version goes back to consent with the error at its path and the request as re-read, recording nothing', async () => {
    const kit = await atConsent({
      activities: {
        consentToAsk: inTurn(REQUEST, REREAD),
        recordConsent: () => ({ rejected: [STALE_PRIVACY], recorded: 0 }),
      },
    });
    const refused = await kit.submit('consent', DECISIONS);
    expect(refused).toEqual({
      status: 'active',
      step: {
        name: 'consent',
        data: REREAD,
        error: {
          code: 'policy_version_mismatch',
          message: STALE_PRIVACY.message,
          status: 422,
          path: '/policies/privacy',
          detail: { errors: [STALE_PRIVACY] },
        },
      },
    });
    expect(kit.callsOf('consentToAsk')).toEqual([
      { session, locales: [] },
      { session, locales: [] },
    ]);
  });

  test('shows every refusal in the detail, the first naming the code and path', async () => {
    const requiredDenied: FieldError = {
      path: '/decisions/service_emails',
      code: 'consent_required',
      message: 'This is needed to have an account: it cannot be refused here',
    };
    const kit = await atConsent({
      activities: {
        recordConsent: () => ({ rejected: [requiredDenied, STALE_PRIVACY], recorded: 0 }),
      },
    });
    const refused = await kit.submit('consent', {
      ...DECISIONS,
      decisions: { partner_sharing: true, service_emails: false },
    });
    expect(stepOf(refused).error).toEqual({
      code: 'consent_required',
      message: requiredDenied.message,
      status: 422,
      path: '/decisions/service_emails',
      detail: { errors: [requiredDenied, STALE_PRIVACY] },
    });
  });

  test('a refusal that lists no field still shows invalid_input, on /decisions', async () => {
    const kit = await atConsent({
      activities: { recordConsent: () => ({ rejected: [], recorded: 0 }) },
    });
    expect(stepOf(await kit.submit('consent', DECISIONS)).error).toEqual({
      code: 'invalid_input',
      message: 'The input is not valid',
      status: 422,
      path: '/decisions',
      detail: { errors: [] },
    });
  });

  test('decisions given again for the versions now shown are recorded, and the run completes', async () => {
    const kit = await atConsent({
      activities: {
        consentToAsk: inTurn(REQUEST, REREAD),
        recordConsent: inTurn({ rejected: [STALE_PRIVACY], recorded: 0 }, { recorded: 2 }),
      },
    });
    await kit.submit('consent', DECISIONS);
    const current = { ...DECISIONS, policies: { privacy: '2026-12-15', terms: '2026-11-01' } };
    expect(await kit.submit('consent', current)).toEqual({
      status: 'completed',
      result: { type: 'none' },
    });
    expect(kit.callsOf('recordConsent').map((call) => call.policies)).toEqual([
      DECISIONS.policies,
      current.policies,
    ]);
  });

  test('completes with result none when, read again after a refusal, nothing is left to ask', async () => {
    const kit = await atConsent({
      activities: {
        consentToAsk: inTurn(REQUEST, NOTHING),
        recordConsent: () => ({ rejected: [STALE_PRIVACY], recorded: 0 }),
      },
    });
    expect(await kit.submit('consent', DECISIONS)).toEqual({
      status: 'completed',
      result: { type: 'none' },
    });
  });
});

describe('consent@1: input the step refuses', () => {
  test.each([
    ['a purpose id outside the pattern', { ...DECISIONS, decisions: { 'Partner-Sharing': true } }],
    ['a decision that is not a boolean', { ...DECISIONS, decisions: { partner_sharing: 'yes' } }],
    ['no policies', { decisions: DECISIONS.decisions }],
    ['a policy version that is empty', { ...DECISIONS, policies: { privacy: '' } }],
    ['an extra key', { ...DECISIONS, userId: 'user-2' }],
  ])('refuses %s as invalid_input without recording anything', async (_, input) => {
    const kit = await atConsent();
    await expect(kit.submit('consent', input)).rejects.toMatchObject({
      name: 'SubmissionRefused',
      code: 'invalid_input',
    });
    expect(kit.callsOf('recordConsent')).toEqual([]);
    expect(stepOf(await kit.view())).toEqual({ name: 'consent', data: REQUEST });
  });
});

describe('consent@1: failures end the run with a code', () => {
  test('consentToAsk refusing with session_required (the session is gone) fails the run with it', async () => {
    const kit = startConsent({ activities: { consentToAsk: sessionGone } });
    expect(await kit.view()).toEqual({
      status: 'failed',
      error: { code: 'session_required', message: 'Sign in first' },
    });
    expect(kit.calls.map((call) => call.name)).toEqual(['consentToAsk']);
  });

  test('consentToAsk out of retries fails the run with consent_not_recorded', async () => {
    const kit = startConsent({ activities: { consentToAsk: crash } });
    expect(await kit.view()).toEqual({
      status: 'failed',
      error: { code: 'consent_not_recorded', message: 'The consent could not be recorded' },
    });
  });

  test('recordConsent out of retries fails the run with consent_not_recorded, its cause kept out of the view', async () => {
    const kit = await atConsent({ activities: { recordConsent: crash } });
    expect(await kit.submit('consent', DECISIONS)).toEqual({
      status: 'failed',
      error: { code: 'consent_not_recorded', message: 'The consent could not be recorded' },
    });
  });

  test('recordConsent refusing with session_required (logged out meanwhile) fails the run with it', async () => {
    const kit = await atConsent({ activities: { recordConsent: sessionGone } });
    expect(await kit.submit('consent', DECISIONS)).toEqual({
      status: 'failed',
      error: { code: 'session_required', message: 'Sign in first' },
    });
  });
});
