import { describe, expect, it } from 'vitest';
import type { RegisteredApp } from '../../../src/apps/app-registry.js';
import { policyOf } from '../../../src/apps/profiling-policy.js';
import type { AttributeSpec, Catalogue, Party } from '../../../src/profile/attribute-catalogue.js';
import { PARTIES } from '../../../src/profile/attribute-spec.js';
import {
  checkPatch,
  MAX_VALUE_BYTES,
  mayRead,
  mayWrite,
  type ProfileActor,
  ProfileRefusal,
  SENSITIVE_CHANGE_MAX_AGE_SECONDS,
  sensitiveChangeRequirement,
  sensitiveOf,
} from '../../../src/profile/profile-store.js';
import {
  DERIVED_ATTRIBUTES,
  STANDARD_ATTRIBUTES,
} from '../../../src/profile/standard-attributes.js';

const appNamed = (id: string, attributes: string[] = []): { party: 'app'; app: RegisteredApp } => ({
  party: 'app',
  app: {
    id,
    name: id,
    kind: 'first_party',
    attributes,
    purposes: [],
    dataLimitBytes: 16 * 1024,
    profiling: policyOf(undefined),
  },
});
const customer: ProfileActor = { party: 'customer', via: 'session', id: 'user-1' };
const operator: ProfileActor = { party: 'operator' };

const OWNER = 'loyalty';
const ATTRIBUTE = 'loyalty_tier';

/**
 * Every kind of actor, with the party the catalogue must name for it to read or write
 * `ATTRIBUTE` (owned by `OWNER`); none for an app whose registration does not list it.
 */
const ACTORS: { who: string; actor: ProfileActor; party: Party | undefined }[] = [
  { who: 'the customer (by session)', actor: customer, party: 'customer' },
  {
    who: 'the customer (through a journey)',
    actor: { party: 'customer', via: 'journey', id: 'run-1' },
    party: 'customer',
  },
  {
    who: 'the owning app, though it does not list it',
    actor: appNamed(OWNER),
    party: 'owning_app',
  },
  {
    who: 'another app that lists it',
    actor: appNamed('shop', ['given_name', ATTRIBUTE]),
    party: 'other_apps',
  },
  {
    who: 'another app that does not list it',
    actor: appNamed('news', ['given_name']),
    party: undefined,
  },
  { who: 'the operator', actor: operator, party: 'operator' },
];

/** Every set of parties: 16 of them. */
const PARTY_SETS: Party[][] = Array.from({ length: 2 ** PARTIES.length }, (_, bits) =>
  PARTIES.filter((_, index) => bits & (2 ** index)),
);

/** The readers are one set, the writers its complement, so reading and writing never mix up. */
const specWith = (readers: Party[]): AttributeSpec => ({
  schema: { type: 'string', maxLength: 20 },
  readers,
  writers: PARTIES.filter((party) => !readers.includes(party)),
  sensitivity: 'normal',
  grantsAccess: false,
  ownerApp: OWNER,
});

const catalogueWith = (specs: Record<string, AttributeSpec> = {}): Catalogue =>
  new Map(Object.entries({ ...STANDARD_ATTRIBUTES, ...specs }));

describe('who reads and who writes a custom attribute', () => {
  it.each(ACTORS)(
    '$who reads and writes exactly where the catalogue names it',
    ({ actor, party }) => {
      for (const readers of PARTY_SETS) {
        const spec = specWith(readers);
        const label = `readers ${readers.join(',')}; writers ${spec.writers.join(',')}`;
        expect(mayRead(actor, ATTRIBUTE, spec), label).toBe(
          party !== undefined && spec.readers.includes(party),
        );
        expect(mayWrite(actor, ATTRIBUTE, spec), label).toBe(
          party !== undefined && spec.writers.includes(party),
        );
      }
    },
  );

  it('never counts the owning app among the other apps, even when its registration lists the attribute', () => {
    const spec = { ...specWith(['other_apps']), writers: ['other_apps'] as const };
    const owner = appNamed(OWNER, [ATTRIBUTE]);
    expect(mayRead(owner, ATTRIBUTE, spec)).toBe(false);
    expect(mayWrite(owner, ATTRIBUTE, spec)).toBe(false);
  });

  it('counts every app as one of the others for an attribute no app owns', () => {
    const spec = { ...specWith(['other_apps', 'owning_app']), ownerApp: undefined };
    expect(mayRead(appNamed(OWNER, [ATTRIBUTE]), ATTRIBUTE, spec)).toBe(true);
    expect(mayRead(appNamed(OWNER), ATTRIBUTE, spec)).toBe(false);
  });
});

describe('who reads and who writes a standard attribute', () => {
  const standard = Object.entries(STANDARD_ATTRIBUTES);
  const listingAll = appNamed('shop', Object.keys(STANDARD_ATTRIBUTES));

  it('lets the customer and the operator read every one, and write all but the derived ones', () => {
    for (const actor of [customer, operator])
      for (const [name, spec] of standard) {
        expect(mayRead(actor, name, spec), `${actor.party} reads ${name}`).toBe(true);
        expect(mayWrite(actor, name, spec), `${actor.party} writes ${name}`).toBe(
          !DERIVED_ATTRIBUTES.has(name),
        );
      }
  });

  it('lets an app read those its registration lists, and write none', () => {
    const listingSome = appNamed('shop', ['given_name', 'email']);
    for (const [name, spec] of standard) {
      expect(mayRead(listingAll, name, spec), name).toBe(true);
      expect(mayWrite(listingAll, name, spec), name).toBe(false);
      expect(mayRead(listingSome, name, spec), name).toBe(['given_name', 'email'].includes(name));
    }
  });

  it('never lets anyone write email, email_verified or phone_number_verified, whatever the writers say', () => {
    expect([...DERIVED_ATTRIBUTES].sort()).toEqual(
      ['email', 'email_verified', 'phone_number_verified'].sort(),
    );
    for (const [name, standardSpec] of standard.filter(([key]) => DERIVED_ATTRIBUTES.has(key))) {
      const spec = { ...standardSpec, writers: PARTIES, ownerApp: OWNER };
      for (const { who, actor } of ACTORS)
        expect(mayWrite(actor, name, spec), `${who} writes ${name}`).toBe(false);
      expect(mayWrite(appNamed('shop', [name]), name, spec), name).toBe(false);
    }
  });
});

/** The refusal `checkPatch` throws for this patch. */
function refusalOf(
  catalogue: Catalogue,
  actor: ProfileActor,
  patch: Record<string, unknown>,
  base?: string,
) {
  try {
    checkPatch(catalogue, actor, patch, base);
  } catch (error) {
    if (error instanceof ProfileRefusal) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(patch)}`);
}
const brief = (refusal: ProfileRefusal) => ({
  code: refusal.code,
  errors: refusal.errors.map(({ path, code }) => ({ path, code })),
});

describe('checking a profile patch', () => {
  const catalogue = catalogueWith({
    [ATTRIBUTE]: {
      schema: { enum: ['gold', 'silver'] },
      readers: ['owning_app', 'customer'],
      writers: ['owning_app'],
      sensitivity: 'normal',
      grantsAccess: false,
      ownerApp: OWNER,
    },
    notes: {
      schema: { type: 'string' },
      readers: ['operator'],
      writers: ['operator'],
      sensitivity: 'normal',
      grantsAccess: false,
    },
  });

  it('returns the values to store, the address as given', () => {
    const address = { locality: 'Lyon', country: 'FR' };
    const { values } = checkPatch(catalogue, customer, {
      given_name: 'Ada',
      locale: 'fr-FR',
      address,
    });
    expect(values).toEqual(
      new Map<string, unknown>([
        ['given_name', 'Ada'],
        ['locale', 'fr-FR'],
        ['address', address],
      ]),
    );
  });

  it('stores a phone number in E.164 however it was spelt', () => {
    for (const spelling of ['+33 6 12 34 56 78', '+33 (0)6 12 34 56 78', '+33-6.12.34.56.78'])
      expect(
        checkPatch(catalogue, customer, { phone_number: spelling }).values.get('phone_number'),
        spelling,
      ).toBe('+33612345678');
  });

  it('refuses a phone number that is no valid number, as its schema says', () => {
    for (const spelling of ['06 12 34 56 78', '+33 6 12', 'call me'])
      expect(brief(refusalOf(catalogue, customer, { phone_number: spelling })), spelling).toEqual({
        code: 'invalid_input',
        errors: [{ path: '/phone_number', code: 'invalid_format' }],
      });
  });

  it('takes null as removing the attribute, without checking it against the schema', () => {
    expect(checkPatch(catalogue, customer, { given_name: null }).values).toEqual(
      new Map([['given_name', null]]),
    );
  });

  it('refuses to remove an attribute the actor may not write', () => {
    expect(brief(refusalOf(catalogue, customer, { email_verified: null }))).toEqual({
      code: 'attribute_not_writable',
      errors: [{ path: '/email_verified', code: 'attribute_not_writable' }],
    });
  });

  it('refuses an attribute the catalogue does not know as unknown_field, its name escaped', () => {
    expect(brief(refusalOf(catalogue, customer, { nickname: 'Ada', 'a/b~c': 1 }))).toEqual({
      code: 'invalid_input',
      errors: [
        { path: '/nickname', code: 'unknown_field' },
        { path: '/a~1b~0c', code: 'unknown_field' },
      ],
    });
  });

  it('refuses the derived attributes to the customer (403)', () => {
    expect(
      brief(refusalOf(catalogue, customer, { email: 'ada@example.com', email_verified: true })),
    ).toEqual({
      code: 'attribute_not_writable',
      errors: [
        { path: '/email', code: 'attribute_not_writable' },
        { path: '/email_verified', code: 'attribute_not_writable' },
      ],
    });
  });

  it('lets the owning app write its attribute, and refuses it to another app that lists it', () => {
    expect(checkPatch(catalogue, appNamed(OWNER), { [ATTRIBUTE]: 'gold' }).values).toEqual(
      new Map([[ATTRIBUTE, 'gold']]),
    );
    expect(
      brief(refusalOf(catalogue, appNamed('shop', [ATTRIBUTE]), { [ATTRIBUTE]: 'gold' })),
    ).toEqual({
      code: 'attribute_not_writable',
      errors: [{ path: `/${ATTRIBUTE}`, code: 'attribute_not_writable' }],
    });
  });

  it('refuses what may not be written (403) before what is not valid (422), naming only the former', () => {
    expect(
      brief(
        refusalOf(catalogue, customer, {
          given_name: '',
          nickname: 'x',
          phone_number_verified: true,
        }),
      ),
    ).toEqual({
      code: 'attribute_not_writable',
      errors: [{ path: '/phone_number_verified', code: 'attribute_not_writable' }],
    });
  });

  it('reports every invalid value of a patch, nested ones at their own pointer', () => {
    expect(
      brief(
        refusalOf(catalogue, customer, {
          given_name: '',
          locale: 'not a locale',
          address: { locality: '', planet: 'Mars' },
          birthdate: '1990-02-30',
        }),
      ),
    ).toEqual({
      code: 'invalid_input',
      errors: [
        { path: '/given_name', code: 'too_small' },
        { path: '/locale', code: 'invalid_format' },
        { path: '/address/planet', code: 'unknown_field' },
        { path: '/address/locality', code: 'too_small' },
        { path: '/birthdate', code: 'invalid_format' },
      ],
    });
  });

  it(`refuses a value over ${MAX_VALUE_BYTES} bytes of JSON whatever its schema, counting UTF-8 bytes`, () => {
    // A JSON string is its characters and two quotes; 'é' is two bytes in UTF-8.
    const fits = 'é'.repeat((MAX_VALUE_BYTES - 2) / 2);
    expect(checkPatch(catalogue, operator, { notes: fits }).values.get('notes')).toBe(fits);
    expect(brief(refusalOf(catalogue, operator, { notes: `${fits}a` }))).toEqual({
      code: 'invalid_input',
      errors: [{ path: '/notes', code: 'too_big' }],
    });
  });

  it('reports an oversized value once, as too_big, not by its schema as well', () => {
    const huge = 'a'.repeat(MAX_VALUE_BYTES);
    expect(brief(refusalOf(catalogue, customer, { given_name: huge }))).toEqual({
      code: 'invalid_input',
      errors: [{ path: '/given_name', code: 'too_big' }],
    });
  });

  it('points below the base it is given (a journey step answers under /answers)', () => {
    const refusal = refusalOf(catalogue, customer, { given_name: 42, nickname: 'x' }, '/answers');
    expect(brief(refusal).errors).toEqual([
      { path: '/answers/given_name', code: 'invalid_type' },
      { path: '/answers/nickname', code: 'unknown_field' },
    ]);
  });
});

describe('sensitive changes', () => {
  it('names the attributes of a patch the catalogue calls sensitive, in the order given', () => {
    expect(
      sensitiveOf(catalogueWith(), ['given_name', 'address', 'nickname', 'phone_number', 'email']),
    ).toEqual(['address', 'phone_number', 'email']);
  });

  it('names custom attributes declared sensitive as well', () => {
    const catalogue = catalogueWith({
      tax_id: { ...specWith(['customer']), sensitivity: 'sensitive' },
    });
    expect(sensitiveOf(catalogue, new Set(['tax_id', 'locale']))).toEqual(['tax_id']);
  });

  it('asks a sign-in of the last 15 minutes, at the account highest level when above aal 1', () => {
    expect(SENSITIVE_CHANGE_MAX_AGE_SECONDS).toBe(900);
    expect(sensitiveChangeRequirement(1)).toEqual({ maxAgeSeconds: 900 });
    expect(sensitiveChangeRequirement(2)).toEqual({ maxAgeSeconds: 900, aal: 2 });
    expect(sensitiveChangeRequirement(3)).toEqual({ maxAgeSeconds: 900, aal: 3 });
  });
});
