import {
  type ActionFunction,
  type AnyEventObject,
  type DelayConfig,
  type EventObject,
  type GuardPredicate,
  type Invert,
  type IsNever,
  type MachineContext,
  type MetaObject,
  type NonReducibleUnknown,
  type ParameterizedObject,
  type SetupReturn,
  type SetupTypes,
  setup,
  type UnknownActorLogic,
  type Values,
} from 'xstate';
import type { FragmentImplementations } from './fragment.js';
import { outcomeActions, outcomeGuards } from './outcomes.js';

/** What a journey includes: a fragment, or a group of them (the second-factor challenges). */
interface Included {
  implementations: FragmentImplementations;
}

type Kind = keyof FragmentImplementations;

/** The outcome guards and actions every journey routes its fragments' ends with. */
const outcomes = {
  implementations: { actors: {}, guards: outcomeGuards, actions: outcomeActions, delays: {} },
};
// With no `fragments`, TypeScript reads the list as never while it infers a call inside the config
// (`assign({ … })`) from the types below: the outcomes are there all the same.
type WithOutcomes<TList> = [TList] extends [never]
  ? readonly [typeof outcomes]
  : TList extends readonly Included[]
    ? readonly [...TList, typeof outcomes]
    : never;

/** The implementations of kind `TKind` of everything in `TList`, as one map. */
type Merged<TList, TKind extends Kind> = TList extends readonly [
  infer Head extends Included,
  ...infer Rest,
]
  ? Head['implementations'][TKind] & Merged<Rest, TKind>
  : unknown;

type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * Names given twice. An actor is the activity its name says, so two fragments may each bring
 * `activity('deliverMessage')`; any other name given twice would silently replace the other.
 */
type ClashesWith<TNew, TSeen, TKind extends Kind> = {
  [K in keyof TNew & keyof TSeen]: TKind extends 'actors'
    ? Same<TNew[K], TSeen[K]> extends true
      ? never
      : K
    : K;
}[keyof TNew & keyof TSeen];
type Clashes<TList, TKind extends Kind, TSeen = unknown> = TList extends readonly [
  infer Head extends Included,
  ...infer Rest,
]
  ?
      | ClashesWith<Head['implementations'][TKind], TSeen, TKind>
      | Clashes<Rest, TKind, TSeen & Head['implementations'][TKind]>
  : never;
type AllClashes<TList> =
  | Clashes<TList, 'actors'>
  | Clashes<TList, 'guards'>
  | Clashes<TList, 'actions'>
  | Clashes<TList, 'delays'>;

/** A type nothing meets, which says why: what a name given twice is typed as. */
type NamedTwice<K> =
  `'${K & string}' is named twice: by the journey, its fragments or the kit's outcomes`;

/** The list as given, made unsatisfiable by a name two of it (or one and the outcomes) give. */
type WithoutClashes<TList extends readonly Included[]> = TList &
  ([AllClashes<WithOutcomes<TList>>] extends [never]
    ? unknown
    : NamedTwice<AllClashes<WithOutcomes<TList>>>);

/**
 * What the fragments and the kit's outcomes bring, by kind, as setup() records them. Guards and
 * actions are typed by name only (they run against whichever journey includes them): their params
 * are not known here.
 */
type IncludedActors<TList> = Merged<WithOutcomes<TList>, 'actors'>;
type IncludedActions<TList> = Record<keyof Merged<WithOutcomes<TList>, 'actions'>, unknown>;
type IncludedGuards<TList> = Record<keyof Merged<WithOutcomes<TList>, 'guards'>, unknown>;
type IncludedDelay<TList> = keyof Merged<WithOutcomes<TList>, 'delays'> & string;

/** What setup() asks of the journey's own `K`, unless an included implementation has that name. */
type NewName<K, TIncluded, TImplementation> = K extends TIncluded ? NamedTwice<K> : TImplementation;
/** An actor's name is free, or is the included one's activity: the same activity, one actor. */
type NewActor<K, TActor, TIncluded> = K extends keyof TIncluded
  ? Same<TActor, TIncluded[K]> extends true
    ? TActor
    : NamedTwice<K>
  : TActor;

// As xstate's setup() spells them (5.33); its declarations do not export them.
type ToParameterizedObject<T extends Record<string, ParameterizedObject['params'] | undefined>> =
  Values<{ [K in keyof T as K & string]: { type: K & string; params: T[K] } }>;
type ToProvidedActor<
  TChildrenMap extends Record<string, string>,
  TActors extends Record<string, UnknownActorLogic>,
> = Values<{
  [K in keyof TActors as K & string]: {
    src: K & string;
    logic: TActors[K];
    id: IsNever<TChildrenMap> extends true
      ? string | undefined
      : K extends keyof Invert<TChildrenMap>
        ? Invert<TChildrenMap>[K] & string
        : string | undefined;
  };
}>;
type RequiredSetupKeys<TChildrenMap> = IsNever<keyof TChildrenMap> extends true ? never : 'actors';

/**
 * Kind by kind, the implementations of everything in `list`, a later one over an earlier one of
 * the same name. Object.assign over a list is typed loosely: the callers' signatures hold names.
 */
function merge(list: readonly Included[]) {
  const merged = (kind: Kind) =>
    Object.assign({}, ...list.map((included) => included.implementations[kind]));
  return {
    actors: merged('actors'),
    guards: merged('guards'),
    actions: merged('actions'),
    delays: merged('delays'),
  };
}

/** Fragments' implementations as one, for a group of them: a name given twice is a type error. */
export function mergeImplementations<const TList extends readonly Included[]>(
  list: WithoutClashes<TList>,
): { [TKind in Kind]: Merged<TList, TKind> } {
  return merge(list);
}

/**
 * XState's `setup()` for a journey: the same config and the same contextual typing of its guards
 * and actions, plus `fragments`, the fragments (or groups of them) the journey includes. Their
 * implementations and the kit's outcome guards and actions (`fragmentFailed`,
 * `failWithFragmentError`…) are merged under the journey's own; a name given twice is a type
 * error, where it is given (the same activity twice is one actor, not a clash).
 */
export function journeySetup<
  TContext extends MachineContext,
  TEvent extends AnyEventObject,
  TActors extends Record<string, UnknownActorLogic> = Record<never, never>,
  TChildrenMap extends Record<string, string> = Record<never, never>,
  TActions extends Record<string, ParameterizedObject['params'] | undefined> = Record<never, never>,
  TGuards extends Record<string, ParameterizedObject['params'] | undefined> = Record<never, never>,
  TDelay extends string = never,
  TTag extends string = string,
  TInput = NonReducibleUnknown,
  TOutput extends NonReducibleUnknown = NonReducibleUnknown,
  TEmitted extends EventObject = EventObject,
  TStateMeta extends MetaObject = MetaObject,
  TTransitionMeta extends MetaObject = TStateMeta,
  const TFragments extends readonly Included[] = [],
>(
  config: {
    fragments?: WithoutClashes<TFragments>;
    types?: SetupTypes<
      TContext,
      TEvent,
      TChildrenMap,
      TTag,
      TInput,
      TOutput,
      TEmitted,
      TStateMeta,
      TTransitionMeta
    >;
    actors?: {
      [K in keyof TActors | Values<TChildrenMap>]: K extends keyof TActors
        ? NewActor<K, TActors[K], IncludedActors<TFragments>>
        : never;
    };
    actions?: {
      [K in keyof TActions]: NewName<
        K,
        keyof IncludedActions<TFragments>,
        ActionFunction<
          TContext,
          TEvent,
          TEvent,
          TActions[K],
          ToProvidedActor<TChildrenMap, TActors & IncludedActors<TFragments>>,
          ToParameterizedObject<TActions & IncludedActions<TFragments>>,
          ToParameterizedObject<TGuards & IncludedGuards<TFragments>>,
          TDelay | IncludedDelay<TFragments>,
          TEmitted
        >
      >;
    };
    guards?: {
      [K in keyof TGuards]: NewName<
        K,
        keyof IncludedGuards<TFragments>,
        GuardPredicate<
          TContext,
          TEvent,
          TGuards[K],
          ToParameterizedObject<TGuards & IncludedGuards<TFragments>>
        >
      >;
    };
    delays?: {
      [K in TDelay]: NewName<
        K,
        IncludedDelay<TFragments>,
        DelayConfig<
          TContext,
          TEvent,
          ToParameterizedObject<TActions & IncludedActions<TFragments>>['params'],
          TEvent
        >
      >;
    };
  } & { [K in RequiredSetupKeys<TChildrenMap>]: unknown },
): SetupReturn<
  TContext,
  TEvent,
  TActors & IncludedActors<TFragments>,
  TChildrenMap,
  TActions & IncludedActions<TFragments>,
  TGuards & IncludedGuards<TFragments>,
  TDelay | IncludedDelay<TFragments>,
  TTag,
  TInput,
  TOutput,
  TEmitted,
  TStateMeta,
  TTransitionMeta
> {
  const { fragments = [], actors = {}, guards = {}, actions = {}, delays = {} } = config;
  const own = { implementations: { actors, guards, actions, delays } };
  // Fragments, the outcomes, then the journey's own: the order journeys spread them in by hand.
  return setup<
    TContext,
    TEvent,
    TActors & IncludedActors<TFragments>,
    TChildrenMap,
    TActions & IncludedActions<TFragments>,
    TGuards & IncludedGuards<TFragments>,
    TDelay | IncludedDelay<TFragments>,
    TTag,
    TInput,
    TOutput,
    TEmitted,
    TStateMeta,
    TTransitionMeta
  >(merge([...fragments, outcomes, own]));
}
