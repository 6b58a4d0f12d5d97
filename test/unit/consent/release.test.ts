import { isDeepStrictEqual } from 'node:util';
import { describe, expect, test } from 'vitest';
import { consentRelease, type PurposeCover } from '../../../src/consent/release.js';

/** The small universe every combination is drawn from. */
const ATTRIBUTES = ['email', 'given_name', 'phone_number', 'sub'];
const APPS = ['partner', 'shop'];
const PURPOSE_IDS = ['marketing', 'sharing'];
/**
 * The profile keys handed in, in two orders that are neither sorted nor the universe's:
 * `locale` is one no purpose can cover.
 */
const INPUT_ORDERS = [
  ['phone_number', 'sub', 'locale', 'email', 'given_name'],
  ['given_name', 'email', 'locale', 'sub', 'phone_number'],
];

/** Every subset of `items`, each read from the bits of a mask. */
const subsets = <T>(items: T[]): T[][] =>
  Array.from({ length: 2 ** items.length }, (_, mask) =>
    items.filter((_, bit) => (mask >> bit) & 1),
  );

/** Every cover one purpose can have: any attributes, for any apps. */
const coversOf = (id: string): PurposeCover[] =>
  subsets(ATTRIBUTES).flatMap((attributes) =>
    subsets(APPS).map((apps) => ({ id, attributes, apps })),
  );

interface Combination {
  appId: string;
  purposes: PurposeCover[];
  granted: ReadonlySet<string>;
}

/** Every pair of purpose covers, every set of grants, every app: 64 × 64 × 4 × 2. */
function* combinations(): Generator<Combination> {
  const [first, second] = PURPOSE_IDS.map(coversOf) as [PurposeCover[], PurposeCover[]];
  for (const one of first)
    for (const other of second)
      for (const granted of subsets(PURPOSE_IDS))
        for (const appId of APPS)
          yield { appId, purposes: [one, other], granted: new Set(granted) };
}
const COMBINATIONS = 64 * 64 * 4 * 2;

/**
 * The rule, written as (app, attribute) pairs rather than as the implementation filters purposes:
 * a pair some purpose covers is governed, and opened when a granted purpose covers it.
 */
function oracle(attributes: string[], { appId, purposes, granted }: Combination) {
  const pair = (app: string, attribute: string) => `${app}\u0000${attribute}`;
  const governed = new Set<string>();
  const opened = new Set<string>();
  for (const purpose of purposes)
    for (const app of purpose.apps)
      for (const attribute of purpose.attributes) {
        governed.add(pair(app, attribute));
        if (granted.has(purpose.id)) opened.add(pair(app, attribute));
      }
  const released = (attribute: string) =>
    attribute === 'sub' ||
    !governed.has(pair(appId, attribute)) ||
    opened.has(pair(appId, attribute));
  return {
    released: attributes.filter(released),
    withheld: attributes.filter((attribute) => !released(attribute)),
  };
}

/**
 * Whether `released` and `withheld` together are exactly `input`, each in input order: walking the
 * input, every attribute is the next one of one of the two lists, and both lists are used up.
 */
function partitionsInOrder(input: string[], released: string[], withheld: string[]): boolean {
  let r = 0;
  let w = 0;
  for (const attribute of input) {
    if (released[r] === attribute) r += 1;
    else if (withheld[w] === attribute) w += 1;
    else return false;
  }
  return r === released.length && w === withheld.length;
}

const describeCombination = (attributes: string[], { appId, purposes, granted }: Combination) =>
  JSON.stringify({ attributes, appId, purposes, granted: [...granted] });

describe('consentRelease over every combination of purposes, grants and apps', () => {
  test('releases exactly what the pair rule releases, and withholds the rest, in input order', () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const combination of combinations()) {
      checked += 1;
      for (const attributes of INPUT_ORDERS) {
        const actual = consentRelease({ attributes, ...combination });
        const agrees =
          isDeepStrictEqual(actual, oracle(attributes, combination)) &&
          partitionsInOrder(attributes, actual.released, actual.withheld);
        if (!agrees)
          mismatches.push(
            `${describeCombination(attributes, combination)} → ${JSON.stringify(actual)}`,
          );
      }
    }
    expect(checked).toBe(COMBINATIONS);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  // A generator that never reached both outcomes would make the agreement above say little.
  test('the combinations reach both outcomes for every governable attribute and app, and never withhold sub or an uncovered key', () => {
    const seen = new Set<string>();
    for (const combination of combinations()) {
      const { released, withheld } = consentRelease({
        attributes: INPUT_ORDERS[0] as string[],
        ...combination,
      });
      for (const attribute of released) seen.add(`${combination.appId} released ${attribute}`);
      for (const attribute of withheld) seen.add(`${combination.appId} withheld ${attribute}`);
    }
    const expected = APPS.flatMap((app) => [
      ...['email', 'given_name', 'phone_number'].flatMap((attribute) => [
        `${app} released ${attribute}`,
        `${app} withheld ${attribute}`,
      ]),
      `${app} released sub`,
      `${app} released locale`,
    ]);
    expect([...seen].sort()).toEqual(expected.sort());
  });
});

describe('consentRelease: the rule by example', () => {
  const partnerSharing: PurposeCover = {
    id: 'partner_sharing',
    attributes: ['email', 'phone_number'],
    apps: ['partner'],
  };

  test('a purpose naming only another app never withholds from this app, granted or not', () => {
    for (const granted of [new Set<string>(), new Set(['partner_sharing'])])
      expect(
        consentRelease({
          attributes: ['email', 'phone_number', 'given_name'],
          appId: 'shop',
          purposes: [partnerSharing],
          granted,
        }),
      ).toEqual({ released: ['email', 'phone_number', 'given_name'], withheld: [] });
  });

  test("a grant of another app's purpose does not open what this app's own purpose withholds", () => {
    const shopMarketing: PurposeCover = { id: 'marketing', attributes: ['email'], apps: ['shop'] };
    expect(
      consentRelease({
        attributes: ['email', 'phone_number'],
        appId: 'shop',
        purposes: [partnerSharing, shopMarketing],
        granted: new Set(['partner_sharing']),
      }),
    ).toEqual({ released: ['phone_number'], withheld: ['email'] });
  });

  test('withholds what a purpose for this app covers while it is not granted, and releases it once granted', () => {
    const input = {
      attributes: ['sub', 'email', 'given_name', 'phone_number'],
      appId: 'partner',
      purposes: [partnerSharing],
    };
    expect(consentRelease({ ...input, granted: new Set() })).toEqual({
      released: ['sub', 'given_name'],
      withheld: ['email', 'phone_number'],
    });
    expect(consentRelease({ ...input, granted: new Set(['partner_sharing']) })).toEqual({
      released: ['sub', 'email', 'given_name', 'phone_number'],
      withheld: [],
    });
  });

  test('sub is always released, even when a purpose for this app covers it and none is granted', () => {
    expect(
      consentRelease({
        attributes: ['sub', 'email'],
        appId: 'partner',
        purposes: [{ id: 'everything', attributes: ['sub', 'email'], apps: ['partner'] }],
        granted: new Set(),
      }),
    ).toEqual({ released: ['sub'], withheld: ['email'] });
  });

  test('an attribute covered by two purposes for this app is released when either is granted, withheld when neither is', () => {
    const purposes: PurposeCover[] = [
      { id: 'newsletter', attributes: ['email', 'given_name'], apps: ['shop'] },
      { id: 'order_updates', attributes: ['email'], apps: ['shop', 'partner'] },
    ];
    const released = (granted: string[]) =>
      consentRelease({ attributes: ['email'], appId: 'shop', purposes, granted: new Set(granted) })
        .released;
    expect(released([])).toEqual([]);
    expect(released(['newsletter'])).toEqual(['email']);
    expect(released(['order_updates'])).toEqual(['email']);
    expect(released(['newsletter', 'order_updates'])).toEqual(['email']);
  });

  test('an attribute no purpose covers is not a matter of consent: released', () => {
    expect(
      consentRelease({
        attributes: ['locale', 'email'],
        appId: 'partner',
        purposes: [partnerSharing],
        granted: new Set(),
      }),
    ).toEqual({ released: ['locale'], withheld: ['email'] });
  });

  test('with no purposes at all, releases every attribute as given', () => {
    expect(
      consentRelease({
        attributes: new Set(['given_name', 'email', 'sub']),
        appId: 'shop',
        purposes: [],
        granted: new Set(),
      }),
    ).toEqual({ released: ['given_name', 'email', 'sub'], withheld: [] });
  });
});
