import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkValue, schemaProblem, validatorOf } from '../../../src/profile/attribute-schemas.js';
import { STANDARD_ATTRIBUTES } from '../../../src/profile/standard-attributes.js';

const birthdate = { type: 'string', format: 'birthdate' };
const timeZone = { type: 'string', format: 'iana-time-zone' };
const codesOf = (schema: object, value: unknown) =>
  checkValue('/v', schema, value).map((error) => error.code);

describe('the birthdate format: a real calendar day that has come, from 1900 on', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-10T12:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts a real past day, a 29 February of a leap year, 1 January 1900 and today', () => {
    for (const day of ['1990-02-28', '2000-02-29', '1900-01-01', '2026-03-10'])
      expect(checkValue('/birthdate', birthdate, day), day).toEqual([]);
  });

  it('refuses a day the calendar does not have (30 February, 29 February of 1900 and 2001)', () => {
    for (const day of ['1990-02-30', '1900-02-29', '2001-02-29', '1990-13-01', '1990-00-10'])
      expect(codesOf(birthdate, day), day).toEqual(['invalid_format']);
  });

  it('refuses a day still to come and a day before 1900', () => {
    for (const day of ['2026-03-11', '2100-01-01', '1899-12-31'])
      expect(codesOf(birthdate, day), day).toEqual(['invalid_format']);
  });

  it('refuses other spellings than YYYY-MM-DD', () => {
    for (const day of ['1990-2-3', '19900228', '28/02/1990', '1990-02-28T00:00:00Z', ' 1990-02-28'])
      expect(codesOf(birthdate, day), day).toEqual(['invalid_format']);
  });
});

describe('the iana-time-zone format', () => {
  // Browsers report current names (Asia/Kolkata) where ICU's list keeps old ones (Asia/Calcutta).
  it('accepts IANA zone names, current and old, and UTC', () => {
    for (const zone of [
      'Europe/Paris',
      'America/New_York',
      'Asia/Tokyo',
      'UTC',
      'Etc/UTC',
      'Asia/Kolkata',
      'Asia/Calcutta',
      'Europe/Kyiv',
    ])
      expect(checkValue('/zoneinfo', timeZone, zone), zone).toEqual([]);
  });

  it('refuses a name no zone has, an offset and an empty string', () => {
    for (const zone of ['Europe/Atlantis', 'Mars/Olympus_Mons', '+01:00', 'CET+1', ''])
      expect(codesOf(timeZone, zone), zone).toEqual(['invalid_format']);
  });
});

describe("ajv's errors as field errors", () => {
  it('reports nothing for a value that conforms', () => {
    expect(checkValue('/given_name', { type: 'string', minLength: 1 }, 'Ada')).toEqual([]);
  });

  it.each([
    { keyword: 'type', schema: { type: 'string' }, value: 42, code: 'invalid_type' },
    {
      keyword: 'format',
      schema: { type: 'string', format: 'email' },
      value: 'ada',
      code: 'invalid_format',
    },
    {
      keyword: 'pattern',
      schema: { type: 'string', pattern: '^[a-z]+$' },
      value: 'A1',
      code: 'invalid_format',
    },
    {
      keyword: 'enum',
      schema: { enum: ['gold', 'silver'] },
      value: 'bronze',
      code: 'invalid_value',
    },
    { keyword: 'const', schema: { const: 'yes' }, value: 'no', code: 'invalid_value' },
    {
      keyword: 'minLength',
      schema: { type: 'string', minLength: 2 },
      value: 'a',
      code: 'too_small',
    },
    {
      keyword: 'maxLength',
      schema: { type: 'string', maxLength: 2 },
      value: 'abc',
      code: 'too_big',
    },
    { keyword: 'minimum', schema: { type: 'integer', minimum: 1 }, value: 0, code: 'too_small' },
    { keyword: 'maximum', schema: { type: 'integer', maximum: 9 }, value: 10, code: 'too_big' },
    {
      keyword: 'exclusiveMinimum',
      schema: { type: 'number', exclusiveMinimum: 0 },
      value: 0,
      code: 'too_small',
    },
    {
      keyword: 'exclusiveMaximum',
      schema: { type: 'number', exclusiveMaximum: 1 },
      value: 1,
      code: 'too_big',
    },
    { keyword: 'minItems', schema: { type: 'array', minItems: 1 }, value: [], code: 'too_small' },
    { keyword: 'maxItems', schema: { type: 'array', maxItems: 1 }, value: [1, 2], code: 'too_big' },
    {
      keyword: 'minProperties',
      schema: { type: 'object', minProperties: 1 },
      value: {},
      code: 'too_small',
    },
    {
      keyword: 'maxProperties',
      schema: { type: 'object', maxProperties: 1 },
      value: { a: 1, b: 2 },
      code: 'too_big',
    },
    {
      keyword: 'multipleOf (no catalogue word of its own)',
      schema: { type: 'integer', multipleOf: 5 },
      value: 7,
      code: 'invalid_value',
    },
  ])('names a $keyword failure $code, at the value itself', ({ schema, value, code }) => {
    expect(checkValue('/tier', schema, value)).toEqual([
      { path: '/tier', code, message: expect.stringMatching(/^This value /) },
    ]);
  });

  it('points an unknown member at the member, as unknown_field, escaped as RFC 6901 asks', () => {
    const schema = { type: 'object', additionalProperties: false, properties: {} };
    expect(checkValue('/address', schema, { planet: 'Mars', 'a/b~c': 1 })).toEqual([
      expect.objectContaining({ path: '/address/planet', code: 'unknown_field' }),
      expect.objectContaining({ path: '/address/a~1b~0c', code: 'unknown_field' }),
    ]);
  });

  it('points a missing member at the member, as invalid_type (as zod names a missing field)', () => {
    const schema = {
      type: 'object',
      required: ['plan', 'x/y'],
      properties: { plan: { type: 'string' }, 'x/y': { type: 'string' } },
    };
    expect(checkValue('/subscription', schema, {})).toEqual([
      expect.objectContaining({ path: '/subscription/plan', code: 'invalid_type' }),
      expect.objectContaining({ path: '/subscription/x~1y', code: 'invalid_type' }),
    ]);
  });

  it('points a nested failure at the nested value, below the attribute', () => {
    const schema = {
      type: 'object',
      properties: { tags: { type: 'array', items: { type: 'string', maxLength: 3 } } },
    };
    expect(checkValue('/interests', schema, { tags: ['ski', 'sailing'] })).toEqual([
      expect.objectContaining({ path: '/interests/tags/1', code: 'too_big' }),
    ]);
  });

  it('reports every failure of a value, not only the first', () => {
    const schema = { type: 'string', minLength: 3, pattern: '^[a-z]+$' };
    expect(codesOf(schema, 'A')).toEqual(['too_small', 'invalid_format']);
  });
});

describe('schemas an operator may declare', () => {
  it('finds every standard attribute schema usable', () => {
    for (const [name, spec] of Object.entries(STANDARD_ATTRIBUTES))
      expect(schemaProblem(spec.schema), name).toBeUndefined();
  });

  it('refuses a misspelt keyword rather than ignoring it (strict mode)', () => {
    expect(schemaProblem({ type: 'string', minLenght: 1 })).toMatch(/unknown keyword.*minLenght/);
  });

  it('refuses a keyword whose type the schema does not state (strict types)', () => {
    expect(schemaProblem({ minLength: 1 })).toMatch(/missing type/);
  });

  it('refuses a schema the JSON Schema meta-schema refuses', () => {
    expect(schemaProblem({ type: 'strnig' })).toMatch(/schema is invalid/);
  });

  it('refuses a format ajv does not know', () => {
    expect(schemaProblem({ type: 'string', format: 'shoe-size' })).toMatch(/unknown format/);
  });

  it('refuses a reference to a schema elsewhere, at any depth: nothing is ever fetched', () => {
    expect(schemaProblem({ $ref: 'https://schemas.example/tier.json' })).toBe(
      '/$ref: a schema refers to nothing outside itself',
    );
    expect(
      schemaProblem({ type: 'object', properties: { tier: { $ref: 'tier.json#/$defs/tier' } } }),
    ).toBe('/properties/tier/$ref: a schema refers to nothing outside itself');
    expect(schemaProblem({ anyOf: [{ type: 'string' }, { $dynamicRef: 'other.json' }] })).toMatch(
      /^\/anyOf\/1\/\$dynamicRef: /,
    );
  });

  it('refuses a schema that names itself or a part for others to refer to ($id, $anchor, $dynamicAnchor)', () => {
    expect(schemaProblem({ $id: 'https://schemas.example/tier.json', type: 'string' })).toBe(
      '/$id: a schema names nothing for others to refer to',
    );
    expect(schemaProblem({ $defs: { tier: { $anchor: 'tier', type: 'string' } } })).toMatch(
      /^\/\$defs\/tier\/\$anchor: /,
    );
    expect(schemaProblem({ $dynamicAnchor: 'node', type: 'object' })).toMatch(
      /^\/\$dynamicAnchor: /,
    );
  });

  it('follows a reference within the schema itself', () => {
    const schema = {
      $defs: { code: { type: 'string', pattern: '^[A-Z]{3}$' } },
      type: 'object',
      properties: { from: { $ref: '#/$defs/code' }, to: { $ref: '#/$defs/code' } },
    };
    expect(schemaProblem(schema)).toBeUndefined();
    expect(checkValue('/route', schema, { from: 'CDG', to: 'lax' })).toEqual([
      expect.objectContaining({ path: '/route/to', code: 'invalid_format' }),
    ]);
  });

  it('compiles a schema once, however many equal copies of it are checked', () => {
    expect(validatorOf({ type: 'string', maxLength: 7 })).toBe(
      validatorOf({ type: 'string', maxLength: 7 }),
    );
  });

  it('lets the oldest compiled schema go past 500 of them, compiling it again when it is next used', () => {
    const oldest = { type: 'integer', minimum: -1 };
    const first = validatorOf(oldest);
    for (let maximum = 0; maximum < 500; maximum += 1)
      validatorOf({ type: 'integer', maximum: 1_000_000 + maximum });
    const again = validatorOf(oldest);
    expect(again).not.toBe(first);
    expect(checkValue('/n', oldest, -2)).toEqual([
      expect.objectContaining({ path: '/n', code: 'too_small' }),
    ]);
  });
});
