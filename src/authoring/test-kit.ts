import { SimulatedClock, waitFor } from 'xstate';
import { z } from 'zod';
import type { ActivityName } from '../activities/catalog.js';
import { createJourneyEventLog, type JourneyEventRecord } from '../analytics/journey-events.js';
import type { ErrorCode } from '../errors/catalogue.js';
import {
  DEFAULT_JOURNEY_LIFETIME_MS,
  type JourneyDefinition,
  type SessionRef,
} from '../journey-kit/define-journey.js';
import { secretFieldsOf } from '../journey-kit/secret-fields.js';
import { createJourneyRun } from '../run/journey-run.js';
import { isSettled, type RunState } from '../run/run-state.js';

// biome-ignore lint/suspicious/noExplicitAny: a fake reads the input its activity receives, whatever its type
export type FakeActivity = (input: any) => unknown;

export interface JourneyTestKitOptions {
  /** Fakes for the activities the journey invokes; a call to a missing one fails the run. */
  activities: Partial<Record<ActivityName, FakeActivity>>;
  settings?: Record<string, unknown>;
  stepTimeoutMs?: number;
  /** The run's lifetime (default: the journey's own): a run still waiting then ends `expired`. */
  lifetimeMs?: number;
  journeyId?: string;
  /** The start body, as the step API would have parsed it. */
  start?: Record<string, unknown>;
  /** The session a session-started journey acts on. */
  session?: SessionRef;
  /** Who started the run, as the step API names the requester. */
  requester?: string;
}

/** A submission the kit refused, as the step API would: 422 for input, 409 for the wrong step. */
export class SubmissionRefused extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: unknown[] = [],
  ) {
    super(message);
    this.name = 'SubmissionRefused';
  }
}

/**
 * Waits as Temporal's `condition` does, outside Temporal: a waiter is let go once its condition
 * holds, checked on every change the kit knows of (the machine moving, the clock, a submission).
 */
function createConditions() {
  const waiting = new Set<{ ready: () => boolean; go: () => void }>();
  /** A waiter went on since the last `quiesce`: what it does next may not have run yet. */
  let released = false;
  const recheck = () => {
    for (const waiter of waiting)
      if (waiter.ready()) {
        waiting.delete(waiter);
        released = true;
        waiter.go();
      }
  };
  return {
    waitUntil: (ready: () => boolean): Promise<void> =>
      ready() ? Promise.resolve() : new Promise((go) => waiting.add({ ready, go })),
    recheck,
    /** Lets every waiter whose condition holds go on, until none does: the run has caught up. */
    async quiesce(): Promise<void> {
      recheck();
      while (released) {
        released = false;
        await new Promise((resolve) => setImmediate(resolve));
        recheck();
      }
    },
  };
}

/**
 * XState's simulated clock, with the deadlines it holds in view: `advance` moves from one to the
 * next, so a timer armed by an earlier one (or by the work it started) fires when it is due.
 */
function createKitClock() {
  const simulated = new SimulatedClock();
  const deadlines = new Map<number, number>();
  return {
    simulated,
    clock: {
      // biome-ignore lint/suspicious/noExplicitAny: XState's Clock signature
      setTimeout(fire: (...args: any[]) => void, ms: number): number {
        const id = simulated.setTimeout((...args) => {
          deadlines.delete(id);
          fire(...args);
        }, ms);
        deadlines.set(id, simulated.now() + ms);
        return id;
      },
      clearTimeout(id: number): void {
        deadlines.delete(id);
        simulated.clearTimeout(id);
      },
    },
    nextDeadline: (): number => Math.min(...deadlines.values()),
  };
}

/**
 * Runs a journey in memory on the product's own run loop (src/run/journey-run.ts): fake
 * activities, a simulated clock, no Temporal. Secrets are sealed the way the step API seals them
 * (a fake hash, a vault reference the fakes can reveal).
 */
export function createJourneyTestKit(
  definition: JourneyDefinition,
  options: JourneyTestKitOptions,
) {
  const { simulated: clock, clock: timers, nextDeadline } = createKitClock();
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect activity inputs of every shape
  const calls: Array<{ name: string; input: any }> = [];
  const vault = new Map<string, string>();
  const recorded: JourneyEventRecord[] = [];
  const conditions = createConditions();
  const journeyId = options.journeyId ?? 'journey-under-test';
  const events = createJourneyEventLog(
    { journeyId, journey: definition.id, version: definition.version },
    () => clock.now(),
  );
  const run = createJourneyRun({
    definition,
    input: {
      journeyId,
      settings: definition.settings.parse(options.settings ?? {}),
      start: (definition.start?.input ?? z.strictObject({})).parse(options.start ?? {}),
      ...(options.session ? { session: options.session } : {}),
      ...(options.requester ? { requester: options.requester } : {}),
    },
    clock: () => timers,
    now: () => clock.now(),
    async callActivity(name, input) {
      calls.push({ name, input });
      const fake = options.activities[name as ActivityName];
      if (!fake) throw new Error(`test kit: no fake for activity '${name}'`);
      return fake(input);
    },
    events,
    async recordEvents(pending) {
      recorded.push(...pending);
    },
    waitUntil: conditions.waitUntil,
    ...(options.stepTimeoutMs !== undefined ? { stepTimeoutMs: options.stepTimeoutMs } : {}),
    lifetimeMs: options.lifetimeMs ?? definition.lifetimeMs ?? DEFAULT_JOURNEY_LIFETIME_MS,
  });
  const { actor } = run;
  actor.subscribe({ next: conditions.recheck, error: conditions.recheck });
  const finished = run.run();
  // The kit's answers show how a run ended; a failure here would otherwise go unhandled.
  finished.catch(() => undefined);

  const settle = async () => {
    await waitFor(actor, (snapshot) => isSettled(definition, snapshot), { timeout: 2_000 });
    await conditions.quiesce();
  };

  function seal(stepName: string, input: Record<string, unknown>): Record<string, unknown> {
    const step = Object.values(definition.steps).find((candidate) => candidate.name === stepName);
    if (!step)
      throw new SubmissionRefused(
        'unknown_step',
        `'${stepName}' is not a step of ${definition.id}`,
      );
    const parsed = step.input.safeParse(input);
    if (!parsed.success)
      throw new SubmissionRefused('invalid_input', parsed.error.message, parsed.error.issues);
    const sealed = { ...(parsed.data as Record<string, unknown>) };
    for (const [field, kind] of secretFieldsOf(step.input)) {
      if (typeof sealed[field] !== 'string') continue;
      if (kind === 'newPassword') sealed[field] = `$argon2id$test$${sealed[field]}`;
      else {
        const ref = `sec_test${String(vault.size).padStart(20, '0')}`;
        vault.set(ref, sealed[field] as string);
        sealed[field] = ref;
      }
    }
    return sealed;
  }

  return {
    actor,
    clock,
    /** Every activity call, in order, with its input. */
    calls,
    callsOf: (name: ActivityName) =>
      calls.filter((call) => call.name === name).map((call) => call.input),
    /** The secret behind a reference the kit sealed (what a fake activity would read from the vault). */
    reveal: (ref: string) => vault.get(ref),
    /** The run's journey events so far, as the funnel would count them. */
    events: (): JourneyEventRecord[] => [...recorded, ...events.peek()],
    async view(): Promise<RunState> {
      await settle();
      return run.state();
    },
    /** Submits a step as the step API would: validate, seal, check it is current, send, settle. */
    async submit(stepName: string, input: Record<string, unknown>): Promise<RunState> {
      await settle();
      if (run.closed()) throw new SubmissionRefused('journey_closed', 'The journey has ended');
      const sealed = seal(stepName, input);
      const rejection = run.check(stepName, sealed);
      if (rejection) throw new SubmissionRefused(rejection.code, rejection.message);
      const submitted = run.submit(stepName, sealed);
      await settle();
      const next = await submitted;
      await settle();
      return next;
    },
    /**
     * Moves the simulated clock by `ms`, from deadline to deadline: each `after` timer and the
     * inactivity timeout fire when due, and what they start settles before the next one.
     */
    async advance(ms: number): Promise<RunState> {
      const end = clock.now() + ms;
      do {
        clock.increment(Math.max(0, Math.min(nextDeadline(), end) - clock.now()));
        await settle();
      } while (clock.now() < end);
      return run.state();
    },
  };
}
