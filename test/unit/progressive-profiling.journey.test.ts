import { describe, expect, test } from 'vitest';
import { progressiveProfiling } from '../../journeys/progressive-profiling.js';
import type { ActivityName } from '../../src/activities/catalog.js';
import { defaultActivityResults } from '../../src/authoring/simulated-activities.js';
import {
  createJourneyTestKit,
  type FakeActivity,
  type JourneyTestKitOptions,
} from '../../src/authoring/test-kit.js';
import type { FieldError } from '../../src/errors/catalogue.js';
import { businessFailure } from '../../src/errors/journey-error.js';
import type { SessionRef } from '../../src/journey-kit/define-journey.js';
import type { RunState } from '../../src/run/run-state.js';

const MINUTE = 60_000;
const CLIENT_ID = 'shop-web';
const session: SessionRef = {
  id: 'session-1',
  userId: 'user-1',
  aal: 1,
  amr: ['pwd'],
  authTime: '2026-11-30T12:00:00.000Z',
  factorAuthTimes: { pwd: '2026-11-30T12:00:00.000Z' },
};

/** The attribute catalogue's schemas of what the customer's profile lacks, in the policy's order. */
const CATALOGUE: Record<string, { type: string; minLength?: number; maxLength?: number }> = {
  given_name: { type: 'string', minLength: 1, maxLength: 100 },
  family_name: { type: 'string', minLength: 1, maxLength: 100 },
  birthdate: { type: 'string', minLength: 10, maxLength: 10 },
};
/** The app's `max_fields_per_step`. */
const PER_STEP = 2;

const question = (attribute: string) => ({ attribute, schema: CATALOGUE[attribute] });
const refusal = (attribute: string, code: FieldError['code']): FieldError => ({
  path: `/answers/${attribute}`,
  code,
  message: 'Refused',
});

const stepOf = (view: RunState) => view.step as NonNullable<RunState['step']>;

const crash = () => {
  throw new Error('database unreachable');
};
const sessionGone = () => {
  throw businessFailure('session_required');
};

/**
 * progressive-profiling@1 against fakes with the contracts of the profile activities: questions
 * are the missing attributes not yet asked in this run, at most PER_STEP at a time; an answer to a
 * question not shown, or not a non-empty string, is refused field by field and nothing is kept.
 */
function startProfiling(
  options: Omit<JourneyTestKitOptions, 'activities'> & {
    missing?: string[];
    activities?: Partial<Record<ActivityName, FakeActivity>>;
  } = {},
) {
  const missing = options.missing ?? Object.keys(CATALOGUE);
  const saved = new Map<string, unknown>();
  const fakes: Partial<Record<ActivityName, FakeActivity>> = {
    profileQuestions: (input: { asked: string[] }) => ({
      questions: missing
        .filter((attribute) => !input.asked.includes(attribute))
        .slice(0, PER_STEP)
        .map(question),
    }),
    saveProfileAnswers: (input: { asked: string[]; answers: Record<string, unknown> }) => {
      const rejected = Object.entries(input.answers).flatMap(([attribute, value]) =>
        !input.asked.includes(attribute)
          ? [refusal(attribute, 'unknown_field')]
          : typeof value !== 'string'
            ? [refusal(attribute, 'invalid_type')]
            : value === ''
              ? [refusal(attribute, 'too_small')]
              : [],
      );
      if (rejected.length) return { rejected, answered: [], skipped: [] };
      for (const [attribute, value] of Object.entries(input.answers)) saved.set(attribute, value);
      return {
        answered: Object.keys(input.answers),
        skipped: input.asked.filter((attribute) => !(attribute in input.answers)),
      };
    },
  };
  const { missing: _, activities, ...kitOptions } = options;
  const kit = createJourneyTestKit(progressiveProfiling, {
    session,
    start: { client_id: CLIENT_ID },
    ...kitOptions,
    activities: { ...fakes, ...activities },
  });
  return { kit, saved };
}

/** A run showing its first questions. */
async function atProfile(options: Parameters<typeof startProfiling>[0] = {}) {
  const run = startProfiling(options);
  await run.kit.view();
  return run;
}

describe('progressive-profiling@1: the way through', () => {
  test('completes at once with result none, showing no step, when nothing is to be asked', async () => {
    const { kit } = startProfiling({ missing: [] });
    expect(await kit.view()).toEqual({ status: 'completed', result: { type: 'none' } });
    expect(kit.callsOf('profileQuestions')).toEqual([{ session, clientId: CLIENT_ID, asked: [] }]);
    expect(kit.callsOf('saveProfileAnswers')).toEqual([]);
    await expect(kit.submit('profile', { skip: true })).rejects.toMatchObject({
      name: 'SubmissionRefused',
      code: 'journey_closed',
    });
  });

  test('shows the questions at profile with the client id, passing the moment the app signalled', async () => {
    const { kit } = startProfiling({ start: { client_id: CLIENT_ID, moment: 'first_purchase' } });
    expect(await kit.view()).toEqual({
      status: 'active',
      step: {
        name: 'profile',
        data: {
          client_id: CLIENT_ID,
          questions: [question('given_name'), question('family_name')],
        },
      },
    });
    expect(kit.callsOf('profileQuestions')).toEqual([
      {
        session,
        clientId: CLIENT_ID,
        moment: 'first_purchase',
        asked: [],
      },
    ]);
  });

  test('publishes a view schema with each question under answers, by its catalogue schema, and skip: true', async () => {
    const { kit } = await atProfile();
    const { data } = stepOf(await kit.view());
    const viewSchema = progressiveProfiling.steps.asking?.viewSchema;
    expect(viewSchema?.(data)).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      oneOf: [
        {
          type: 'object',
          properties: {
            answers: {
              type: 'object',
              description: expect.any(String),
              properties: {
                given_name: CATALOGUE.given_name,
                family_name: CATALOGUE.family_name,
              },
              additionalProperties: false,
            },
          },
          required: ['answers'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: { skip: { const: true, description: expect.any(String) } },
          required: ['skip'],
          additionalProperties: false,
        },
      ],
    });
  });

  test('saves the answers, asks the next batch without asking any attribute twice, and completes when none is left', async () => {
    const { kit, saved } = await atProfile();
    const next = await kit.submit('profile', {
      answers: { given_name: 'Ada', family_name: 'Lovelace' },
    });
    expect(stepOf(next)).toEqual({
      name: 'profile',
      data: { client_id: CLIENT_ID, questions: [question('birthdate')] },
    });
    expect(kit.callsOf('saveProfileAnswers')).toEqual([
      {
        session,
        clientId: CLIENT_ID,
        asked: ['given_name', 'family_name'],
        answers: { given_name: 'Ada', family_name: 'Lovelace' },
      },
    ]);

    const done = await kit.submit('profile', { answers: { birthdate: '1815-12-10' } });
    expect(done).toEqual({ status: 'completed', result: { type: 'none' } });
    expect(kit.callsOf('profileQuestions').map((call) => call.asked)).toEqual([
      [],
      ['given_name', 'family_name'],
      ['given_name', 'family_name', 'birthdate'],
    ]);
    // Only what the second batch showed is saved with it.
    expect(kit.callsOf('saveProfileAnswers')[1]).toMatchObject({
      asked: ['birthdate'],
      answers: { birthdate: '1815-12-10' },
    });
    expect(Object.fromEntries(saved)).toEqual({
      given_name: 'Ada',
      family_name: 'Lovelace',
      birthdate: '1815-12-10',
    });
    expect(kit.calls.map((call) => call.name)).toEqual([
      'profileQuestions',
      'saveProfileAnswers',
      'profileQuestions',
      'saveProfileAnswers',
      'profileQuestions',
    ]);
  });

  test('a skipped question is not asked again in the same run', async () => {
    const { kit } = await atProfile();
    // family_name left out: skipped.
    await kit.submit('profile', { answers: { given_name: 'Ada' } });
    expect(stepOf(await kit.view()).data.questions).toEqual([question('birthdate')]);
    expect(kit.callsOf('profileQuestions')[1].asked).toEqual(['given_name', 'family_name']);
  });

  test('skip: true saves with no answers, so every question shown is skipped, and moves on', async () => {
    const { kit, saved } = await atProfile();
    const next = await kit.submit('profile', { skip: true });
    expect(kit.callsOf('saveProfileAnswers')).toEqual([
      {
        session,
        clientId: CLIENT_ID,
        asked: ['given_name', 'family_name'],
        answers: {},
      },
    ]);
    expect(stepOf(next).data.questions).toEqual([question('birthdate')]);
    expect(await kit.submit('profile', { skip: true })).toEqual({
      status: 'completed',
      result: { type: 'none' },
    });
    expect(saved.size).toBe(0);
  });

  test('an empty answers object skips every question shown, as skip: true does', async () => {
    const { kit } = await atProfile();
    await kit.submit('profile', { answers: {} });
    expect(kit.callsOf('saveProfileAnswers')[0].answers).toEqual({});
    expect(stepOf(await kit.view()).data.questions).toEqual([question('birthdate')]);
  });

  test('runs through on the default simulated activities: one question, then done', async () => {
    const kit = createJourneyTestKit(progressiveProfiling, {
      session,
      start: { client_id: CLIENT_ID },
      activities: {
        profileQuestions: defaultActivityResults.profileQuestions as FakeActivity,
        saveProfileAnswers: defaultActivityResults.saveProfileAnswers as FakeActivity,
      },
    });
    expect(stepOf(await kit.view()).data.questions).toEqual([
      { attribute: 'given_name', schema: expect.any(Object) },
    ]);
    expect(await kit.submit('profile', { answers: { given_name: 'Ada' } })).toEqual({
      status: 'completed',
      result: { type: 'none' },
    });
  });
});

describe('progressive-profiling@1: answers refused', () => {
  test('stays at profile with invalid_input and every refused path in the detail, keeping the questions', async () => {
    const { kit, saved } = await atProfile();
    const refused = await kit.submit('profile', {
      answers: { given_name: '', family_name: 42 },
    });
    expect(stepOf(refused)).toEqual({
      name: 'profile',
      data: { client_id: CLIENT_ID, questions: [question('given_name'), question('family_name')] },
      error: {
        code: 'invalid_input',
        message: 'The input is not valid',
        status: 422,
        path: '/answers/given_name',
        detail: {
          errors: [refusal('given_name', 'too_small'), refusal('family_name', 'invalid_type')],
        },
      },
    });
    expect(saved.size).toBe(0);
    // Refused answers are not questions asked again: no new questions were looked for.
    expect(kit.callsOf('profileQuestions')).toHaveLength(1);
  });

  test('an answer to a question not shown is refused at its path', async () => {
    const { kit } = await atProfile();
    const refused = await kit.submit('profile', { answers: { birthdate: '1815-12-10' } });
    expect(stepOf(refused).error).toMatchObject({
      code: 'invalid_input',
      path: '/answers/birthdate',
      detail: { errors: [refusal('birthdate', 'unknown_field')] },
    });
  });

  test('answers with code attribute_not_writable when any refusal is that, whatever the others', async () => {
    const errors = [
      refusal('given_name', 'too_small'),
      refusal('family_name', 'attribute_not_writable'),
    ];
    const { kit } = await atProfile({
      activities: {
        saveProfileAnswers: () => ({ rejected: errors, answered: [], skipped: [] }),
      },
    });
    const refused = await kit.submit('profile', {
      answers: { given_name: '', family_name: 'Lovelace' },
    });
    expect(stepOf(refused).error).toEqual({
      code: 'attribute_not_writable',
      message: 'This attribute cannot be changed here',
      status: 403,
      path: '/answers/given_name',
      detail: { errors },
    });
  });

  test('a later valid submission moves on to the next questions and clears the error', async () => {
    const { kit } = await atProfile();
    await kit.submit('profile', { answers: { given_name: '', family_name: 42 } });
    const next = await kit.submit('profile', {
      answers: { given_name: 'Ada', family_name: 'Lovelace' },
    });
    expect(stepOf(next)).toEqual({
      name: 'profile',
      data: { client_id: CLIENT_ID, questions: [question('birthdate')] },
    });
    expect(kit.callsOf('saveProfileAnswers')[1].answers).toEqual({
      given_name: 'Ada',
      family_name: 'Lovelace',
    });
  });

  test('a skip after a refusal saves no answers: the refused ones are not carried over', async () => {
    const { kit } = await atProfile();
    await kit.submit('profile', { answers: { given_name: '' } });
    const next = await kit.submit('profile', { skip: true });
    expect(kit.callsOf('saveProfileAnswers')[1]).toMatchObject({
      asked: ['given_name', 'family_name'],
      answers: {},
    });
    expect(stepOf(next).error).toBeUndefined();
  });

  test('a refusal that lists no field still shows invalid_input, on /answers', async () => {
    const { kit } = await atProfile({
      activities: { saveProfileAnswers: () => ({ rejected: [], answered: [], skipped: [] }) },
    });
    const refused = await kit.submit('profile', { answers: { given_name: 'Ada' } });
    expect(stepOf(refused).error).toMatchObject({
      code: 'invalid_input',
      path: '/answers',
      detail: { errors: [] },
    });
  });
});

describe('progressive-profiling@1: input the step refuses', () => {
  test.each([
    ['an attribute name outside the catalogue pattern', { answers: { 'Bad-Name': 1 } }],
    ['an attribute name starting with a digit', { answers: { '1st': 'x' } }],
    ['skip: false', { skip: false }],
    ['skip and answers together', { skip: true, answers: {} }],
    ['an extra key beside answers', { answers: { given_name: 'Ada' }, userId: 'user-2' }],
    ['an extra key beside skip', { skip: true, client_id: 'other-app' }],
    ['answers that are not an object', { answers: ['Ada'] }],
    ['an empty body', {}],
  ])('refuses %s as invalid_input without saving anything', async (_, input) => {
    const { kit } = await atProfile();
    await expect(kit.submit('profile', input)).rejects.toMatchObject({
      name: 'SubmissionRefused',
      code: 'invalid_input',
    });
    expect(kit.callsOf('saveProfileAnswers')).toEqual([]);
    expect(stepOf(await kit.view())).toMatchObject({ name: 'profile' });
    expect(stepOf(await kit.view()).error).toBeUndefined();
  });
});

describe('progressive-profiling@1: failures end the run with a code', () => {
  test('profileQuestions refusing with session_required (the session is gone) fails the run with it', async () => {
    const { kit } = startProfiling({ activities: { profileQuestions: sessionGone } });
    expect(await kit.view()).toEqual({
      status: 'failed',
      error: { code: 'session_required', message: 'Sign in first' },
    });
    expect(kit.calls.map((call) => call.name)).toEqual(['profileQuestions']);
  });

  test('profileQuestions out of retries fails the run with profile_not_saved', async () => {
    const { kit } = startProfiling({ activities: { profileQuestions: crash } });
    expect(await kit.view()).toEqual({
      status: 'failed',
      error: { code: 'profile_not_saved', message: 'The profile could not be saved' },
    });
  });

  test('profileQuestions refusing the next batch with session_required fails the run after answers were saved', async () => {
    let calls = 0;
    const { kit } = await atProfile({
      activities: {
        profileQuestions: () => {
          calls += 1;
          if (calls > 1) sessionGone();
          return { questions: [question('given_name')] };
        },
      },
    });
    const view = await kit.submit('profile', { answers: { given_name: 'Ada' } });
    expect(view).toMatchObject({ status: 'failed', error: { code: 'session_required' } });
  });

  test('saveProfileAnswers refusing with session_required fails the run with it', async () => {
    const { kit } = await atProfile({ activities: { saveProfileAnswers: sessionGone } });
    const view = await kit.submit('profile', { answers: { given_name: 'Ada' } });
    expect(view).toEqual({
      status: 'failed',
      error: { code: 'session_required', message: 'Sign in first' },
    });
    expect(kit.calls.map((call) => call.name)).toEqual(['profileQuestions', 'saveProfileAnswers']);
  });

  test('saveProfileAnswers out of retries fails the run with profile_not_saved', async () => {
    const { kit } = await atProfile({ activities: { saveProfileAnswers: crash } });
    const view = await kit.submit('profile', { skip: true });
    expect(view).toEqual({
      status: 'failed',
      error: { code: 'profile_not_saved', message: 'The profile could not be saved' },
    });
    expect(kit.calls.map((call) => call.name)).toEqual(['profileQuestions', 'saveProfileAnswers']);
    await expect(kit.submit('profile', { skip: true })).rejects.toMatchObject({
      code: 'journey_closed',
    });
  });
});

describe('progressive-profiling@1: inactivity', () => {
  test('ends abandoned at profile left for 30 minutes, taking no more answers', async () => {
    const { kit } = await atProfile();
    expect((await kit.advance(30 * MINUTE - 1)).status).toBe('active');
    // An ended run shows the step it stopped at, not what it asked there.
    expect(await kit.advance(1)).toEqual({
      status: 'abandoned',
      step: { name: 'profile', data: {} },
    });
    await expect(kit.submit('profile', { skip: true })).rejects.toMatchObject({
      code: 'journey_closed',
    });
    expect(kit.callsOf('saveProfileAnswers')).toEqual([]);
  });

  test('the next batch restarts the inactivity timer', async () => {
    const { kit } = await atProfile();
    await kit.advance(20 * MINUTE);
    await kit.submit('profile', { skip: true });
    expect((await kit.advance(30 * MINUTE - 1)).status).toBe('active');
    expect(kit.callsOf('profileQuestions')).toHaveLength(2);
    expect(await kit.advance(1)).toEqual({
      status: 'abandoned',
      step: { name: 'profile', data: {} },
    });
  });
});
