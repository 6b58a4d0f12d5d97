import type { AnyStateMachine } from 'xstate';
import type { z } from 'zod';
import type { SessionRef, SessionRequirement } from '../sessions/session-ref.js';
import { type Fragment, fragmentSteps } from './fragment.js';
import { descendants, statePath } from './state-nodes.js';
import type { StepDefinition } from './step.js';

export type { SessionGrant, SessionRef, SessionRequirement } from '../sessions/session-ref.js';
export { DEFAULT_STEP_TIMEOUT_MS, type StepDefinition, step } from './step.js';

/** Default lifetime of a run: its journey token expires then, and the run answers `expired`. */
export const DEFAULT_JOURNEY_LIFETIME_MS = 60 * 60_000;

/** How a journey starts: what the start body may carry and whether a session is needed. */
export interface StartDefinition<TSettings = Record<string, unknown>> {
  /**
   * The start body, a strict zod object (unknown fields are refused). Its standard fields come from
   * `startFields` (`login_hint`, `return_to`, `ui_locales`). Without it the body must be empty.
   */
  input?: z.ZodObject;
  /**
   * The journey acts on a signed-in customer: it is started with `Authorization: Bearer <session
   * token>`, and the session must meet this requirement (from the deployment settings).
   */
  session?: (settings: TSettings) => SessionRequirement;
}

/** A versioned journey: an XState machine plus the map of its interactive states. */
export interface JourneyDefinition<TMachine extends AnyStateMachine = AnyStateMachine> {
  id: string;
  version: number;
  title: string;
  machine: TMachine;
  /**
   * Interactive states by dot path (`verifyEmail.active.code.awaiting`). Several states may share a
   * step. Once defined, it holds the steps of the journey's fragments too.
   */
  steps: Record<string, StepDefinition>;
  /** Fragments the journey includes, by the path of the state each is placed at. */
  fragments?: Record<string, Fragment>;
  /** Deployment settings the journey reads from its input (delays, policy versions), with defaults. */
  settings: z.ZodType<Record<string, unknown>>;
  /** How long a run may take from its start (its journey token's lifetime), default one hour. */
  lifetimeMs?: number;
  /** What starting needs; by default an empty body and no session. */
  // biome-ignore lint/suspicious/noExplicitAny: the requirement reads the journey's own settings type
  start?: StartDefinition<any>;
}

/** Input every journey machine receives when a run starts. */
export interface JourneyInput<
  TSettings = Record<string, unknown>,
  TStart = Record<string, unknown>,
> {
  journeyId: string;
  settings: TSettings;
  /** The parsed start body (`{}` for a journey that takes none). */
  start: TStart;
  /** Present exactly when the journey declares `start.session`. */
  session?: SessionRef;
  /** Who started the run: pseudonyms of the client's network, for limits counted per requester. */
  requester?: string;
}

/**
 * Declares a journey: its own steps and those of the fragments it includes, found at the states the
 * fragments are placed at. The registry checks the whole at load.
 */
export function defineJourney<TMachine extends AnyStateMachine>(
  definition: JourneyDefinition<TMachine>,
): JourneyDefinition<TMachine> {
  const included = Object.entries(definition.fragments ?? {}).map(([at, fragment]) =>
    fragmentSteps(at, fragment),
  );
  const steps = Object.assign({}, ...included, definition.steps) as Record<string, StepDefinition>;
  // In the order of the machine's states, so listings read as the journey runs.
  const order = descendants(definition.machine.root).map(statePath);
  const position = (path: string) => order.indexOf(path) >>> 0;
  return Object.freeze({
    ...definition,
    steps: Object.fromEntries(Object.entries(steps).sort(([a], [b]) => position(a) - position(b))),
  });
}

export const journeyKey = (id: string, version: number): string => `${id}@${version}`;
