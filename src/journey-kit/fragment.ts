import type { JourneyFailure, StepError } from '../errors/catalogue.js';
import type { StepDefinition } from './step.js';

/**
 * A piece of journey written once and included by any journey: a factor challenge (email or SMS
 * code, TOTP, passkey, recovery code). The journey places `state` at a state of its own and
 * handles the fragment's outcome with `onDone`: the fragment ends in a final state whose output
 * says how (`{ outcome: 'verified' }`, or `{ outcome: 'failed', error }`). Inside, every target is
 * relative (a sibling, `.child`, or an event raised to the fragment's root): no absolute id ties
 * it to one journey.
 *
 * Its `implementations` join the journey's in one line, `fragments` in `journeySetup()`
 * (journey-setup.ts), which is XState's `setup()` with that one key more:
 *
 *   journeySetup({ fragments: [emailCode, secondFactor], types, actors, guards, actions })
 *
 * Their names are spelt in the fragment's type (`prefixed`), so a name given twice — the journey's
 * and a fragment's, or two fragments' — is a type error; the same activity twice is one actor.
 * journeySetup() declares setup()'s generics itself: a wrapper around setup()'s config instead
 * lost XState's typing of the journey's own `({ context, event })`.
 *
 * The engine finds the fragment's steps (`steps`, by path from its root), routes submissions to
 * them, checks the fragment at load and draws it in diagrams.
 */
export interface Fragment<
  TImplementations extends FragmentImplementations = FragmentImplementations,
> {
  /** The fragment's name in checks and diagrams (`email-code`). */
  name: string;
  /** The state config to include; the journey adds `onDone`. */
  // biome-ignore lint/suspicious/noExplicitAny: a state config typed against whichever journey includes it
  state: Record<string, any>;
  /** Interactive steps by path from the fragment's root (`live.code.awaiting`). */
  steps: Record<string, StepDefinition>;
  /** Named guards, actions, delays and actors the state refers to, merged by `journeySetup()`. */
  implementations: TImplementations;
}

export interface FragmentImplementations {
  // biome-ignore lint/suspicious/noExplicitAny: implementations typed against whichever journey includes them
  actors: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: idem
  guards: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: idem
  actions: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: idem
  delays: Record<string, any>;
}

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/**
 * The prefix of a fragment's implementation names: its name in camel case and a dot (`email-code`
 * gives `emailCode.`), spelt by the type too, so that `journeySetup()` sees every name.
 */
export function prefixOf<TName extends string>(name: TName) {
  const camel = name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());
  // replace() answers a string; the type above spells the same camel case.
  return `${camel}.` as `${CamelCase<TName>}.`;
}

/**
 * Implementations named under a fragment's prefix: `prefixed('emailCode.', { codeExpired })`. Each
 * name is exact, so that `journeySetup()` can refuse one given twice; each is typed loosely, as it
 * runs against whichever journey includes the fragment (which may also name one anew).
 */
export function prefixed<TPrefix extends string, TNames extends string>(
  prefix: TPrefix,
  implementations: Record<TNames, unknown>,
) {
  const named = Object.entries(implementations).map(([name, value]) => [`${prefix}${name}`, value]);
  // fromEntries() answers a string-keyed record: the names are the prefixed ones.
  // biome-ignore lint/suspicious/noExplicitAny: typed against whichever journey includes them
  return Object.fromEntries(named) as Record<`${TPrefix}${TNames}`, any>;
}

/**
 * What a fragment reports when it ends: the journey's `onDone` switches on `outcome`. A factor
 * challenge that offers the customer other factors ends `switch` when they choose one (`method`);
 * one that queued a notice for after the sign-in names it (`notice`, an outbound message id).
 */
export type FragmentOutcome<TError = JourneyFailure> =
  | { outcome: 'verified'; recipient?: string; notice?: string }
  | { outcome: 'switch'; method: string }
  | { outcome: 'failed'; error: TError }
  | { outcome: 'refused'; error: StepError };

/** A fragment's steps as the journey sees them: each path prefixed with the state it is placed at. */
export function fragmentSteps(at: string, fragment: Fragment): Record<string, StepDefinition> {
  return Object.fromEntries(
    Object.entries(fragment.steps).map(([path, step]) => [`${at}.${path}`, step]),
  );
}

/** Absolute ids (`#id` targets, `id:` on a state) inside a fragment's state config, by where they sit. */
export function absoluteIdsIn(config: Record<string, unknown>, path: string[] = []): string[] {
  const found: string[] = [];
  const where = path.join('.') || '(root)';
  if (typeof config.id === 'string') found.push(`${where}: id '${config.id}'`);
  const targetsOf = (transition: unknown): unknown[] => {
    if (Array.isArray(transition)) return transition.flatMap(targetsOf);
    if (typeof transition === 'string') return [transition];
    if (transition && typeof transition === 'object' && 'target' in transition)
      return [transition.target].flat();
    return [];
  };
  const invokes = [config.invoke].flat().filter(Boolean) as Array<Record<string, unknown>>;
  const transitions = [
    ...Object.values((config.on ?? {}) as Record<string, unknown>),
    ...Object.values((config.after ?? {}) as Record<string, unknown>),
    config.always,
    config.onDone,
    ...invokes.flatMap((invoke) => [invoke.onDone, invoke.onError]),
  ];
  for (const target of transitions.flatMap(targetsOf))
    if (typeof target === 'string' && target.startsWith('#'))
      found.push(`${where}: target '${target}'`);
  for (const [key, child] of Object.entries((config.states ?? {}) as Record<string, unknown>))
    found.push(...absoluteIdsIn(child as Record<string, unknown>, [...path, key]));
  return found;
}
