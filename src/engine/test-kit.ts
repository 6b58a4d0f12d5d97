import { createActor, SimulatedClock, waitFor } from 'xstate';
import { z } from 'zod';
import { activityActors } from './activity-actors.js';
import { type ActivityName, activityNames } from './activity-catalog.js';
import {
  DEFAULT_JOURNEY_LIFETIME_MS,
  type JourneyDefinition,
  type SessionRef,
} from './define-journey.js';
import type { ErrorCode } from './errors.js';
import { secretFieldsOf } from './secret-fields.js';
import { createSubmissionGate } from './submission.js';
import {
  currentStep,
  isSettled,
  type RunView,
  runView,
  stepTimeoutMs,
  stepWaitEnd,
  withReturnTo,
} from './view.js';

const ADVANCE_STEP_MS = 1_000;

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
 * Runs a journey in memory: fake activities, a simulated clock, no Temporal. Secrets are sealed
 * the way the step API seals them (a fake hash, a vault reference the fakes can reveal).
 */
export function createJourneyTestKit(
  definition: JourneyDefinition,
  options: JourneyTestKitOptions,
) {
  const clock = new SimulatedClock();
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect activity inputs of every shape
  const calls: Array<{ name: string; input: any }> = [];
  const vault = new Map<string, string>();
  const gate = createSubmissionGate(definition);
  let ended: { status: 'abandoned' | 'expired'; step: string } | undefined;
  const start = (definition.start?.input ?? z.strictObject({})).parse(options.start ?? {});

  const actor = createActor(
    definition.machine.provide({
      actors: activityActors(activityNames, async (name, input) => {
        calls.push({ name, input });
        const fake = options.activities[name as ActivityName];
        if (!fake) throw new Error(`test kit: no fake for activity '${name}'`);
        return fake(input);
      }),
    }),
    {
      input: {
        journeyId: options.journeyId ?? 'journey-under-test',
        settings: definition.settings.parse(options.settings ?? {}),
        start,
        ...(options.session ? { session: options.session } : {}),
        ...(options.requester ? { requester: options.requester } : {}),
      },
      clock,
    },
  );

  // The inactivity timeout, as the workflow (engine 3) runs it: restarted by every accepted
  // submission and step change, and capped at the run's lifetime, where a run still waiting ends `expired`.
  const lifetimeEnd =
    clock.now() + (options.lifetimeMs ?? definition.lifetimeMs ?? DEFAULT_JOURNEY_LIFETIME_MS);
  let inactivity: ReturnType<SimulatedClock['setTimeout']> | undefined;
  let lastStep: string | undefined;
  const armInactivity = () => {
    if (inactivity !== undefined) clock.clearTimeout(inactivity);
    const step = currentStep(definition, actor.getSnapshot());
    if (!step) return;
    const timeout = stepTimeoutMs(step.definition, { stepTimeoutMs: options.stepTimeoutMs });
    const end = stepWaitEnd(timeout, lifetimeEnd - clock.now());
    inactivity = clock.setTimeout(() => {
      ended = { status: end.status, step: step.definition.name };
    }, end.afterMs);
  };
  actor.subscribe((snapshot) => {
    const name = currentStep(definition, snapshot)?.definition.name;
    if (name && name !== lastStep) armInactivity();
    lastStep = name ?? lastStep;
  });
  actor.start();

  const settle = () =>
    waitFor(actor, (snapshot) => isSettled(definition, snapshot), { timeout: 2_000 });
  const view = (): RunView =>
    ended
      ? runView(definition, actor.getSnapshot(), ended)
      : withReturnTo(definition, runView(definition, actor.getSnapshot()), start);

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
    async view(): Promise<RunView> {
      await settle();
      return view();
    },
    /** Submits a step as the step API would: validate, seal, check it is current, send, settle. */
    async submit(stepName: string, input: Record<string, unknown>): Promise<RunView> {
      await settle();
      if (ended) throw new SubmissionRefused('journey_closed', 'The journey has ended');
      const sealed = seal(stepName, input);
      const rejection = gate.check(actor.getSnapshot(), stepName, sealed);
      if (rejection) throw new SubmissionRefused(rejection.code, rejection.message);
      actor.send(gate.event(actor.getSnapshot(), stepName, sealed));
      await settle();
      const next = view();
      // As engine 3: a rejected submission is no sign of life (a step change re-armed it already).
      if (next.step?.name !== stepName || next.step.error === undefined) armInactivity();
      return next;
    },
    /**
     * Moves the simulated clock: fires due `after` timers and the inactivity timeout. It moves a
     * second at a time so timers armed by earlier ones fire when they are due, not at the end.
     */
    async advance(ms: number): Promise<RunView> {
      for (let left = ms; left > 0; left -= ADVANCE_STEP_MS) {
        clock.increment(Math.min(left, ADVANCE_STEP_MS));
        await settle();
      }
      return view();
    },
  };
}
