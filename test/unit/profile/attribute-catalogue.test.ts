import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../../../src/http/field-errors.js';
import {
  attributeDefinitionInput,
  describeAttribute,
} from '../../../src/profile/attribute-catalogue.js';
import { STANDARD_ATTRIBUTES } from '../../../src/profile/standard-attributes.js';

const minimal = { name: 'loyalty_tier', schema: { type: 'string' }, readers: ['customer'] };

/** The field errors the admin API would answer with for this definition. */
function refusalsOf(definition: Record<string, unknown>) {
  const result = attributeDefinitionInput.safeParse(definition);
  if (result.success) throw new Error(`accepted ${JSON.stringify(definition)}`);
  return fieldErrorsOf(result.error.issues).map(({ path, code }) => ({ path, code }));
}

describe('declaring a custom attribute', () => {
  it('accepts a minimal declaration: normal, written by the operator alone, granting nothing', () => {
    expect(attributeDefinitionInput.parse(minimal)).toEqual({
      ...minimal,
      sensitivity: 'normal',
      writers: ['operator'],
      grants_access: false,
    });
  });

  it("refuses each standard attribute's name (attribute_exists)", () => {
    for (const name of Object.keys(STANDARD_ATTRIBUTES))
      expect(refusalsOf({ ...minimal, name }), name).toEqual([
        { path: '/name', code: 'attribute_exists' },
      ]);
  });

  it("takes a name only the standard attributes' own names block, not an object's inherited ones", () => {
    expect(attributeDefinitionInput.safeParse({ ...minimal, name: 'constructor' }).success).toBe(
      true,
    );
  });

  it('takes snake-case names of up to 63 characters, and nothing else', () => {
    for (const name of ['tier', 'loyalty_tier_2', `a${'b'.repeat(62)}`])
      expect(attributeDefinitionInput.safeParse({ ...minimal, name }).success, name).toBe(true);
    for (const name of [
      'Tier',
      '2tier',
      '_tier',
      'loyalty-tier',
      'custom:role',
      `a${'b'.repeat(63)}`,
    ])
      expect(refusalsOf({ ...minimal, name }), name).toEqual([
        { path: '/name', code: 'invalid_format' },
      ]);
  });

  it('refuses an attribute that grants access and that the customer may write (Keycloak CVE-2026-3911, Cognito custom:role)', () => {
    expect(
      refusalsOf({ ...minimal, grants_access: true, writers: ['operator', 'customer'] }),
    ).toEqual([{ path: '/writers', code: 'invalid_value' }]);
  });

  it('lets apps and the operator write an attribute that grants access, and the customer one that grants none', () => {
    for (const definition of [
      { ...minimal, grants_access: true, owner_app: 'shop', writers: ['owning_app', 'operator'] },
      { ...minimal, grants_access: true, writers: ['other_apps'] },
      { ...minimal, grants_access: false, writers: ['customer'] },
    ])
      expect(
        attributeDefinitionInput.safeParse(definition).success,
        JSON.stringify(definition),
      ).toBe(true);
  });

  it('refuses `owning_app` among the readers or the writers when no `owner_app` is named', () => {
    expect(refusalsOf({ ...minimal, readers: ['owning_app'] })).toEqual([
      { path: '/readers', code: 'invalid_value' },
    ]);
    expect(refusalsOf({ ...minimal, writers: ['owning_app'] })).toEqual([
      { path: '/writers', code: 'invalid_value' },
    ]);
    expect(
      attributeDefinitionInput.safeParse({
        ...minimal,
        owner_app: 'shop',
        readers: ['owning_app'],
        writers: ['owning_app'],
      }).success,
    ).toBe(true);
  });

  it('refuses a schema ajv cannot compile, saying why', () => {
    const result = attributeDefinitionInput.safeParse({
      ...minimal,
      schema: { type: 'string', maxLenght: 20 },
    });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['schema'],
        message: expect.stringMatching(/^Not a usable JSON Schema: .*maxLenght/),
      }),
    ]);
    for (const schema of [
      { type: 'string', format: 'shoe-size' },
      { type: 'strnig' },
      { $ref: 'https://schemas.example/tier.json' },
    ])
      expect(refusalsOf({ ...minimal, schema }), JSON.stringify(schema)).toEqual([
        { path: '/schema', code: 'invalid_value' },
      ]);
  });

  it('refuses a field it does not know, no readers and a party no one is', () => {
    expect(refusalsOf({ ...minimal, owner: 'shop' })).toEqual([
      { path: '/owner', code: 'unknown_field' },
    ]);
    expect(refusalsOf({ ...minimal, readers: [] })).toEqual([
      { path: '/readers', code: 'too_small' },
    ]);
    expect(refusalsOf({ ...minimal, writers: ['everyone'] })).toEqual([
      { path: '/writers/0', code: 'invalid_value' },
    ]);
  });

  it('reports every refusal of one declaration at once', () => {
    expect(
      refusalsOf({
        name: 'role',
        schema: { type: 'string', minLenght: 1 },
        readers: ['owning_app'],
        writers: ['customer'],
        grants_access: true,
      }),
    ).toEqual([
      { path: '/writers', code: 'invalid_value' },
      { path: '/readers', code: 'invalid_value' },
      { path: '/schema', code: 'invalid_value' },
    ]);
  });
});

describe('an attribute as the admin API shows it', () => {
  it('marks a standard attribute as standard and a custom one as not', () => {
    for (const [name, spec] of Object.entries(STANDARD_ATTRIBUTES))
      expect(describeAttribute(name, spec).standard, name).toBe(true);
    expect(
      describeAttribute('loyalty_tier', {
        schema: { type: 'string' },
        readers: ['customer'],
        writers: ['operator'],
        sensitivity: 'normal',
        grantsAccess: false,
      }),
    ).toEqual({
      name: 'loyalty_tier',
      standard: false,
      schema: { type: 'string' },
      sensitivity: 'normal',
      readers: ['customer'],
      writers: ['operator'],
      grants_access: false,
    });
  });

  it("does not call a custom attribute standard for an object's inherited name", () => {
    const spec = {
      schema: {},
      readers: ['operator'] as const,
      writers: [],
      sensitivity: 'normal' as const,
      grantsAccess: false,
    };
    expect(describeAttribute('constructor', spec).standard).toBe(false);
  });

  it('shows the owning app and the description when the attribute has them', () => {
    expect(
      describeAttribute('shop_role', {
        schema: { enum: ['buyer', 'seller'] },
        readers: ['owning_app'],
        writers: ['owning_app'],
        sensitivity: 'sensitive',
        grantsAccess: true,
        ownerApp: 'shop',
        description: 'What the shop lets this customer do',
      }),
    ).toMatchObject({
      owner_app: 'shop',
      grants_access: true,
      description: 'What the shop lets this customer do',
    });
  });
});
