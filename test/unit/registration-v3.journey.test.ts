import { describe, expect, test } from 'vitest';
import { registration } from '../../journeys/registration.js';
import { registrationV2 } from '../../journeys/registration-v2.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import { defaultActivityResults } from '../../src/authoring/simulated-activities.js';
import {
  createJourneyTestKit,
  type FakeActivity,
  type JourneyTestKitOptions,
} from '../../src/authoring/test-kit.js';
import type { ConsentRequest, ShownPolicy } from '../../src/consent/consent-request.js';
import type { FieldError } from '../../src/errors/catalogue.js';
import type { JourneyDefinition } from '../../src/journey-kit/define-journey.js';
import type { RunState } from '../../src/run/run-state.js';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';
// The simulated verifyOtp takes any well-formed code.
const CODE = '123456';
const TERMS = { accept: true, policyVersion: '2026-11-01' };

const policy = (name: string, version: string): ShownPolicy => ({
  policy: name,
  version,
  locale: 'en',
  content_hash: 'b'.repeat(64),
  material: true,
  effective_at: `${version}T00:00:00.000Z`,
  href: `/v1/policies/${name}/${version}/en`,
});

/** One optional purpose under the privacy policy, as asked of someone registering. */
const REQUEST: ConsentRequest = {
  policies: [policy('privacy', '2026-12-01')],
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
  ],
};
const REREAD: ConsentRequest = { ...REQUEST, policies: [policy('privacy', '2026-12-15')] };
const NOTHING: ConsentRequest = { policies: [], purposes: [] };

const DECISIONS = {
  decisions: { partner_sharing: true },
  policies: { privacy: '2026-12-01' },
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

/** One answer per call, in order, the last repeating (as a simulation file reads them). */
const inTurn =
  (...answers: unknown[]): FakeActivity =>
  () =>
    answers.length > 1 ? answers.shift() : answers[0];

type Options = Omit<JourneyTestKitOptions, 'activities'> & {
  activities?: Partial<Record<ActivityName, FakeActivity>>;
};

/**
 * A registration run on the simulated activities (any code verifies, the account and session
 * open), with consentToAsk answering REQUEST and checkConsent accepting unless told otherwise.
 */
function startRegistration(definition: JourneyDefinition, options: Options = {}) {
  const { activities, ...kitOptions } = options;
  const simulated = (name: ActivityName) => defaultActivityResults[name] as FakeActivity;
  return createJourneyTestKit(definition, {
    journeyId: 'run-1',
    ...kitOptions,
    activities: {
      issueOtp: simulated('issueOtp'),
      verifyOtp: simulated('verifyOtp'),
      deliverMessage: simulated('deliverMessage'),
      createAccount: simulated('createAccount'),
      createSession: simulated('createSession'),
      recordJourneyEvents: simulated('recordJourneyEvents'),
      consentToAsk: () => REQUEST,
      checkConsent: () => ({}),
      ...activities,
    },
  });
}

type Kit = ReturnType<typeof startRegistration>;

/** Credentials, the emailed code and the terms: the view after the terms. */
async function throughTerms(kit: Kit): Promise<RunState> {
  await kit.submit('credentials', { email: EMAIL, password: PASSWORD });
  await kit.submit('verify-email', { code: CODE });
  return kit.submit('terms', TERMS);
}

/** A registration@3 run at the consent step. */
async function atConsent(options: Options = {}) {
  const kit = startRegistration(registration, options);
  const view = await throughTerms(kit);
  expect(stepOf(view).name).toBe('consent');
  return kit;
}

/** The steps a run shows from its start through the terms, and how it stands after them. */
async function walk(kit: Kit) {
  const shown = [stepOf(await kit.view()).name];
  shown.push(stepOf(await kit.submit('credentials', { email: EMAIL, password: PASSWORD })).name);
  shown.push(stepOf(await kit.submit('verify-email', { code: CODE })).name);
  const after = await kit.submit('terms', TERMS);
  return { shown, after };
}

describe('registration@3 with no purposes declared: registration@2 as it was', () => {
  test('goes credentials → verify-email → terms → account, creating the account as @2 does, with no consent', async () => {
    const v2 = startRegistration(registrationV2);
    const v3 = startRegistration(registration, {
      activities: { consentToAsk: () => NOTHING },
    });
    const [ofV2, ofV3] = [await walk(v2), await walk(v3)];

    expect(ofV3.shown).toEqual(['credentials', 'verify-email', 'terms']);
    expect(ofV3.shown).toEqual(ofV2.shown);
    expect(ofV3.after).toMatchObject({ status: 'completed', result: { type: 'session' } });
    expect(ofV3.after).toEqual(ofV2.after);

    const [created] = v3.callsOf('createAccount');
    expect(v3.callsOf('createAccount')).toEqual(v2.callsOf('createAccount'));
    expect(created).toEqual({
      journeyId: 'run-1',
      identifiers: [{ type: 'email', value: EMAIL, verified: true }],
      passwordHash: `$argon2id$test$${PASSWORD}`,
      consents: [{ purpose: 'terms', policyVersion: '2026-11-01' }],
    });
    expect(created).not.toHaveProperty('consent');
    expect(v3.callsOf('checkConsent')).toEqual([]);
    // One look for purposes, after the terms, is all @3 adds.
    expect(v3.calls.map((call) => call.name)).toEqual([
      'issueOtp',
      'deliverMessage',
      'verifyOtp',
      'consentToAsk',
      'createAccount',
      'createSession',
    ]);
  });

  test("asks for purposes in the customer's languages, with no session (there is no account yet)", async () => {
    const kit = startRegistration(registration, {
      start: { ui_locales: 'de-CH fr' },
      activities: { consentToAsk: () => NOTHING },
    });
    await throughTerms(kit);
    expect(kit.callsOf('consentToAsk')).toEqual([{ locales: ['de-CH', 'fr'] }]);
  });

  test('asks in no particular language when the start named none', async () => {
    const kit = startRegistration(registration, { activities: { consentToAsk: () => NOTHING } });
    await throughTerms(kit);
    expect(kit.callsOf('consentToAsk')).toEqual([{ locales: [] }]);
  });
});

describe('registration@3 with purposes declared: the consent step', () => {
  test('shows consent after the terms, with the request, before any account exists', async () => {
    const kit = startRegistration(registration);
    const { shown, after } = await walk(kit);
    expect(shown).toEqual(['credentials', 'verify-email', 'terms']);
    expect(after).toEqual({ status: 'active', step: { name: 'consent', data: REQUEST } });
    expect(kit.callsOf('createAccount')).toEqual([]);
  });

  test('publishes the consent view schema: the purposes and policy versions shown', async () => {
    const kit = await atConsent();
    const viewSchema = registration.steps.consent?.viewSchema;
    expect(viewSchema?.(stepOf(await kit.view()).data)).toMatchObject({
      properties: {
        decisions: {
          properties: {
            partner_sharing: { type: 'boolean', description: 'Share my email with Partner' },
          },
          required: [],
          additionalProperties: false,
        },
        policies: {
          properties: { privacy: { const: '2026-12-01' } },
          required: ['privacy'],
          additionalProperties: false,
        },
      },
    });
  });

  test('checks the decisions, then passes them to createAccount as consent with the languages and step consent', async () => {
    const kit = await atConsent({ start: { ui_locales: 'fr' } });
    const done = await kit.submit('consent', DECISIONS);
    expect(done).toMatchObject({
      status: 'completed',
      result: { type: 'session', user: { id: 'user-1' } },
    });
    expect(kit.callsOf('checkConsent')).toEqual([{ locales: ['fr'], ...DECISIONS }]);
    expect(kit.callsOf('createAccount')).toEqual([
      {
        journeyId: 'run-1',
        identifiers: [{ type: 'email', value: EMAIL, verified: true }],
        passwordHash: `$argon2id$test$${PASSWORD}`,
        consents: [{ purpose: 'terms', policyVersion: '2026-11-01' }],
        consent: {
          decisions: DECISIONS.decisions,
          policies: DECISIONS.policies,
          locales: ['fr'],
          step: 'consent',
        },
      },
    ]);
    expect(kit.calls.map((call) => call.name).slice(-4)).toEqual([
      'consentToAsk',
      'checkConsent',
      'createAccount',
      'createSession',
    ]);
  });

  test('a denial is passed on as given', async () => {
    const kit = await atConsent();
    const denial = { ...DECISIONS, decisions: { partner_sharing: false } };
    await kit.submit('consent', denial);
    expect(kit.callsOf('createAccount')[0].consent).toEqual({
      ...denial,
      locales: [],
      step: 'consent',
    });
  });

  test('answers step_not_current to consent before the terms, and to the terms once at consent', async () => {
    const kit = startRegistration(registration);
    await kit.submit('credentials', { email: EMAIL, password: PASSWORD });
    await kit.submit('verify-email', { code: CODE });
    await expect(kit.submit('consent', DECISIONS)).rejects.toMatchObject({
      code: 'step_not_current',
    });
    await kit.submit('terms', TERMS);
    await expect(kit.submit('terms', TERMS)).rejects.toMatchObject({ code: 'step_not_current' });
    expect(kit.callsOf('checkConsent')).toEqual([]);
  });

  test.each([
    ['a decision that is not a boolean', { ...DECISIONS, decisions: { partner_sharing: 'yes' } }],
    ['no policies', { decisions: DECISIONS.decisions }],
    ['an extra key', { ...DECISIONS, email: 'eve@example.com' }],
  ])('refuses %s at consent as invalid_input without checking it', async (_, input) => {
    const kit = await atConsent();
    await expect(kit.submit('consent', input)).rejects.toMatchObject({ code: 'invalid_input' });
    expect(kit.callsOf('checkConsent')).toEqual([]);
    expect(kit.callsOf('createAccount')).toEqual([]);
  });

  test('runs through on the default simulated activities, consent included', async () => {
    const simulated = (name: ActivityName) => defaultActivityResults[name] as FakeActivity;
    const kit = startRegistration(registration, {
      activities: {
        consentToAsk: simulated('consentToAsk'),
        checkConsent: simulated('checkConsent'),
      },
    });
    expect(stepOf((await walk(kit)).after).name).toBe('consent');
    expect(
      (
        await kit.submit('consent', {
          decisions: { partner_sharing: true },
          policies: { privacy: '2026-12-01' },
        })
      ).status,
    ).toBe('completed');
  });
});

describe('registration@3: decisions refused before the account is created', () => {
  test('a checkConsent refusal keeps the run at consent with the error and the request re-read, creating no account', async () => {
    const kit = await atConsent({
      activities: {
        consentToAsk: inTurn(REQUEST, REREAD),
        checkConsent: () => ({ rejected: [STALE_PRIVACY] }),
      },
    });
    expect(await kit.submit('consent', DECISIONS)).toEqual({
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
    expect(kit.callsOf('createAccount')).toEqual([]);
  });

  test('a refusal that lists no field still shows invalid_input, on /decisions', async () => {
    const kit = await atConsent({ activities: { checkConsent: () => ({ rejected: [] }) } });
    expect(stepOf(await kit.submit('consent', DECISIONS)).error).toEqual({
      code: 'invalid_input',
      message: 'The input is not valid',
      status: 422,
      path: '/decisions',
      detail: { errors: [] },
    });
  });

  test('decisions given again for the versions now shown create the account with those, not the refused ones', async () => {
    const kit = await atConsent({
      activities: {
        consentToAsk: inTurn(REQUEST, REREAD),
        checkConsent: inTurn({ rejected: [STALE_PRIVACY] }, {}),
      },
    });
    await kit.submit('consent', DECISIONS);
    const current = { decisions: { partner_sharing: false }, policies: { privacy: '2026-12-15' } };
    expect((await kit.submit('consent', current)).status).toBe('completed');
    expect(kit.callsOf('createAccount')).toHaveLength(1);
    expect(kit.callsOf('createAccount')[0].consent).toEqual({
      ...current,
      locales: [],
      step: 'consent',
    });
  });

  test('creates the account with no consent when, read again after a refusal, nothing is left to ask', async () => {
    const kit = await atConsent({
      activities: {
        consentToAsk: inTurn(REQUEST, NOTHING),
        checkConsent: () => ({ rejected: [STALE_PRIVACY] }),
      },
    });
    expect((await kit.submit('consent', DECISIONS)).status).toBe('completed');
    expect(kit.callsOf('createAccount')[0]).not.toHaveProperty('consent');
  });
});

describe('registration@3: failures end the run with a code', () => {
  const notCreated = {
    status: 'failed',
    error: { code: 'account_not_created', message: 'The account could not be created' },
  };

  test('consentToAsk out of retries fails the run with account_not_created', async () => {
    const kit = startRegistration(registration, { activities: { consentToAsk: crash } });
    expect((await walk(kit)).after).toEqual(notCreated);
    expect(kit.callsOf('createAccount')).toEqual([]);
  });

  test('checkConsent out of retries fails the run with account_not_created', async () => {
    const kit = await atConsent({ activities: { checkConsent: crash } });
    expect(await kit.submit('consent', DECISIONS)).toEqual(notCreated);
    expect(kit.callsOf('createAccount')).toEqual([]);
  });
});
