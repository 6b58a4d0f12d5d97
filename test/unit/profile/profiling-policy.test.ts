import { describe, expect, it } from 'vitest';
import {
  type ProfilingPolicy,
  policyOf,
  profilingPolicy,
  questionsDue,
} from '../../../src/apps/profiling-policy.js';

const DAY = 86_400;
const DEFAULTS = { questions: [], max_fields_per_step: 2, ask_again_after_seconds: 30 * DAY };

const accepts = (policy: unknown) => profilingPolicy.safeParse(policy).success;
const policyAsking = (questions: ProfilingPolicy['questions']) =>
  profilingPolicy.parse({ questions });

describe("an app's profiling policy", () => {
  it('asks nothing by default, two fields a step, and a skipped question again after 30 days', () => {
    expect(profilingPolicy.parse({})).toEqual(DEFAULTS);
  });

  it('refuses a question that does not say when to ask it', () => {
    const result = profilingPolicy.safeParse({ questions: [{ attribute: 'birthdate' }] });
    // Neither branch of the union takes it: each names what it misses.
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['questions', 0], code: 'invalid_union' }),
    ]);
  });

  it('takes a question asked at a sign-in, at a moment, or both', () => {
    for (const question of [
      { attribute: 'birthdate', at_sign_in: 1 },
      { attribute: 'birthdate', moment: 'first_purchase' },
      { attribute: 'birthdate', at_sign_in: 1000, moment: 'checkout2' },
    ])
      expect(accepts({ questions: [question] }), JSON.stringify(question)).toBe(true);
  });

  it('refuses a sign-in count that is not a whole number from 1 to 1000', () => {
    for (const at_sign_in of [0, -1, 1.5, 1001, '3'])
      expect(
        accepts({ questions: [{ attribute: 'locale', at_sign_in }] }),
        String(at_sign_in),
      ).toBe(false);
  });

  it('refuses a moment that is not a snake-case name of at most 40 characters', () => {
    for (const moment of [
      '',
      'First_purchase',
      '1st_purchase',
      'first-purchase',
      `m${'o'.repeat(40)}`,
    ])
      expect(accepts({ questions: [{ attribute: 'locale', moment }] }), moment).toBe(false);
    expect(accepts({ questions: [{ attribute: 'locale', moment: `m${'o'.repeat(39)}` }] })).toBe(
      true,
    );
  });

  it('refuses fields it does not know, in the policy or in a question', () => {
    expect(accepts({ ask_every: 3 })).toBe(false);
    expect(accepts({ questions: [{ attribute: 'locale', at_sign_in: 1, required: true }] })).toBe(
      false,
    );
  });

  it('refuses more than 50 questions, and a question without an attribute', () => {
    const question = { attribute: 'locale', at_sign_in: 1 };
    expect(accepts({ questions: Array(50).fill(question) })).toBe(true);
    expect(accepts({ questions: Array(51).fill(question) })).toBe(false);
    expect(accepts({ questions: [{ attribute: '', at_sign_in: 1 }] })).toBe(false);
  });

  it('asks 1 to 10 fields a step, and a skipped question again after 1 second to 365 days', () => {
    for (const max_fields_per_step of [1, 10])
      expect(accepts({ max_fields_per_step }), String(max_fields_per_step)).toBe(true);
    for (const max_fields_per_step of [0, 11, 2.5])
      expect(accepts({ max_fields_per_step }), String(max_fields_per_step)).toBe(false);
    for (const ask_again_after_seconds of [1, 365 * DAY])
      expect(accepts({ ask_again_after_seconds }), String(ask_again_after_seconds)).toBe(true);
    for (const ask_again_after_seconds of [0, 365 * DAY + 1])
      expect(accepts({ ask_again_after_seconds }), String(ask_again_after_seconds)).toBe(false);
  });
});

describe('the questions due', () => {
  const policy = policyAsking([
    { attribute: 'given_name', at_sign_in: 1 },
    { attribute: 'birthdate', at_sign_in: 3 },
    { attribute: 'address', moment: 'first_purchase' },
    { attribute: 'phone_number', at_sign_in: 2, moment: 'checkout' },
  ]);

  it('asks a sign-in question from its sign-in on, never before', () => {
    expect(questionsDue(policy, { signIn: 1 })).toEqual(['given_name']);
    expect(questionsDue(policy, { signIn: 2 })).toEqual(['given_name', 'phone_number']);
    expect(questionsDue(policy, { signIn: 3 })).toEqual([
      'given_name',
      'birthdate',
      'phone_number',
    ]);
    expect(questionsDue(policy, { signIn: 40 })).toEqual([
      'given_name',
      'birthdate',
      'phone_number',
    ]);
  });

  it('asks a moment question only at that moment, never at a sign-in', () => {
    expect(questionsDue(policy, { moment: 'first_purchase' })).toEqual(['address']);
    expect(questionsDue(policy, { moment: 'checkout' })).toEqual(['phone_number']);
    expect(questionsDue(policy, { moment: 'newsletter' })).toEqual([]);
  });

  it('asks nothing at all when the policy has no questions', () => {
    expect(questionsDue(profilingPolicy.parse({}), { signIn: 5 })).toEqual([]);
    expect(questionsDue(profilingPolicy.parse({}), { moment: 'first_purchase' })).toEqual([]);
  });

  it("asks in the policy's order, each attribute once", () => {
    const repeated = policyAsking([
      { attribute: 'zoneinfo', at_sign_in: 2 },
      { attribute: 'address', at_sign_in: 1 },
      { attribute: 'zoneinfo', at_sign_in: 1, moment: 'checkout' },
    ]);
    expect(questionsDue(repeated, { signIn: 2 })).toEqual(['zoneinfo', 'address']);
    expect(questionsDue(repeated, { signIn: 1 })).toEqual(['address', 'zoneinfo']);
  });
});

describe('a policy as stored with a registration', () => {
  it('reads no policy at all as the defaults', () => {
    expect(policyOf(undefined)).toEqual(DEFAULTS);
    expect(policyOf(null)).toEqual(DEFAULTS);
  });

  it('fills in what a stored policy leaves out', () => {
    const questions = [{ attribute: 'locale', at_sign_in: 2 }];
    expect(policyOf({ questions })).toEqual({ ...DEFAULTS, questions });
  });

  it('reads a stored policy that no longer parses as the defaults rather than failing', () => {
    expect(policyOf({ max_fields_per_step: 99 })).toEqual(DEFAULTS);
    expect(policyOf('ask everything')).toEqual(DEFAULTS);
  });
});
