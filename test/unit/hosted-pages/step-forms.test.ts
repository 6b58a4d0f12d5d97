import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { journeyDefinitions } from '../../../journeys/index.js';
import { formInput } from '../../../src/http/hosted-pages/form-input.js';
import { safeNext } from '../../../src/http/hosted-pages/hosted-pages.js';
import { stepForms } from '../../../src/http/hosted-pages/step-forms.js';

const schemaOf = (journey: string, step: string) => {
  const definition = journeyDefinitions.find((candidate) => candidate.id === journey);
  const found = Object.values(definition?.steps ?? {}).find((entry) => entry.name === step);
  if (!found) throw new Error(`${journey} has no step ${step}`);
  return { step: found, schema: z.toJSONSchema(found.input, { io: 'input' }) };
};

describe('a step’s forms, drawn from its JSON Schema', () => {
  it('draw one form per alternative: the code, and a new code as a button alone', () => {
    const { schema } = schemaOf('registration', 'verify-email');
    const forms = stepForms(schema);
    expect(forms.map((form) => form.action)).toEqual(['code', 'resend']);
    expect(forms[0]?.fields).toMatchObject([{ name: 'code', kind: 'code', required: true }]);
    expect(forms[1]?.fields).toMatchObject([{ name: 'resend', kind: 'hidden', value: true }]);
  });

  it('offer only the factors the step’s data names as buttons of one choice', () => {
    const { schema } = schemaOf('login', 'totp');
    const [, other] = stepForms(schema, { otherFactors: ['sms', 'recovery_code'] });
    expect(other?.fields).toMatchObject([{ kind: 'choices', options: ['sms', 'recovery_code'] }]);
  });

  it('make a `true` that must be sent beside other fields a box to tick, the shown terms version hidden', () => {
    const { schema } = schemaOf('registration', 'terms');
    const [form] = stepForms(schema, { policyVersion: '2026-11-01' });
    expect(form?.fields).toMatchObject([
      { name: 'accept', kind: 'checkbox', required: true },
      { name: 'policyVersion', kind: 'hidden', value: '2026-11-01' },
    ]);
  });
});

it('makes a lone `true` of a step with one form a box to tick: "I have kept my recovery codes"', () => {
  const { schema } = schemaOf('mfa-enrolment', 'recovery-codes');
  const [form] = stepForms(schema, { codes: ['a'] });
  expect(form?.fields).toMatchObject([{ name: 'saved', kind: 'checkbox', required: true }]);
});

describe('a form post, read as the step input', () => {
  it('types what the browser sends as the schema wants it, and reads no field of another form', () => {
    const { schema } = schemaOf('registration', 'terms');
    const [form] = stepForms(schema, { policyVersion: '2026-11-01' });
    if (!form) throw new Error('no form');
    // A tampered hidden value is not what goes to the run: the step's data is.
    const input = formInput(form, { accept: 'true', policyVersion: '1999', admin: 'true' });
    expect(input).toEqual({ accept: true, policyVersion: '2026-11-01' });
    expect(formInput(form, {})).toEqual({ accept: false, policyVersion: '2026-11-01' });
  });

  it('passes the result through the step’s own schema, which still judges it', () => {
    const { step, schema } = schemaOf('registration', 'verify-email');
    const [codeForm] = stepForms(schema);
    if (!codeForm) throw new Error('no form');
    expect(step.input.safeParse(formInput(codeForm, { code: '123456' })).success).toBe(true);
    expect(step.input.safeParse(formInput(codeForm, { code: ['1', '2'] })).success).toBe(false);
  });

  it('nests dotted names: a profile answer left empty is not answered', () => {
    const form = stepForms({
      type: 'object',
      properties: {
        answers: {
          type: 'object',
          properties: { given_name: { type: 'string' }, family_name: { type: 'string' } },
        },
      },
      required: ['answers'],
    })[0];
    if (!form) throw new Error('no form');
    expect(formInput(form, { 'answers.given_name': 'Ana', 'answers.family_name': '' })).toEqual({
      answers: { given_name: 'Ana' },
    });
  });
});

describe('where a flow may send the browser once done (`next`)', () => {
  it('is a hosted page or an interaction of the provider on this server', () => {
    expect(safeNext('/pages/consent?ui_locales=fr')).toBe('/pages/consent?ui_locales=fr');
    expect(safeNext('/oidc/interaction/abc-DEF_123')).toBe('/oidc/interaction/abc-DEF_123');
  });

  it('keeps a query that carries a `next` of its own, encoded (a journey sent through sign-in first)', () => {
    const back = '/pages/mfa-enrolment?ui_locales=fr&next=%2Fpages%2F';
    expect(safeNext(back)).toBe(back);
  });

  // ASVS 5.0 V3.7.2 (no open redirect): every way out of this server is refused.
  it.each([
    'https://evil.example/pages/x',
    '//evil.example/pages/x',
    '/\\evil.example',
    '/pages/../v1/me',
    '/pages/%2e%2e/v1/me',
    '/pages//evil.example',
    '/pages/x%2F%2Fevil.example',
    '/oidc/auth?client_id=x',
    '/pages/x\nSet-Cookie: a=b',
    'javascript:alert(1)',
    '/pages/ünïcode',
  ])('refuses %j', (value) => {
    expect(safeNext(value)).toBeUndefined();
  });
});
