import { describe, expect, test } from 'vitest';
import { type AnyStateMachine, fromPromise, setup } from 'xstate';
import { z } from 'zod';
import { registration } from '../../journeys/registration.js';
import { activityNames } from '../../src/engine/activity-catalog.js';
import { JourneyDefinitionError } from '../../src/engine/check-journey.js';
import type { StepDefinition } from '../../src/engine/define-journey.js';
import { activity, defineJourney, step } from '../../src/engine/index.js';
import { createRegistry } from '../../src/engine/registry.js';

const start = step({ name: 'start', input: z.strictObject({ go: z.literal(true) }) });
const confirm = step({ name: 'confirm', input: z.strictObject({ ok: z.literal(true) }) });

const newUser = {
  journeyId: 'run',
  email: 'ada@example.com',
  passwordHash: '$argon2id$test$x',
  termsVersion: '1',
};

const withActivities = setup({
  types: { events: {} as { type: 'start' } | { type: 'confirm' } },
  actors: { createUser: activity('createUser'), sendFax: fromPromise(async () => 'sent') },
});

/** A sound journey: one step, one effect with both outcomes, two endings. Each test breaks one thing. */
const soundMachine = withActivities.createMachine({
  id: 'probe',
  initial: 'start',
  states: {
    start: { on: { start: 'saving' } },
    saving: { invoke: { src: 'createUser', input: newUser, onDone: 'done', onError: 'failed' } },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

function journey(
  machine: AnyStateMachine,
  steps: Record<string, StepDefinition> = { start },
  version = 3,
) {
  return defineJourney({
    id: 'probe',
    version,
    title: 'A journey under test',
    machine,
    steps,
    settings: z.object({}),
  });
}

/** The problems createRegistry reports for one journey (it must refuse it). */
function problemsOf(...definitions: ReturnType<typeof journey>[]): string[] {
  try {
    createRegistry(definitions, activityNames);
  } catch (error) {
    expect(error).toBeInstanceOf(JourneyDefinitionError);
    expect((error as JourneyDefinitionError).code).toBe('ERR_JOURNEY_DEFINITION');
    expect((error as Error).message).toContain(
      (error as JourneyDefinitionError).problems.join('\n  - '),
    );
    return (error as JourneyDefinitionError).problems;
  }
  throw new Error('createRegistry accepted a broken journey');
}

describe('createRegistry', () => {
  test('accepts registration@1 and serves it by id@version, as the newest version and by step name', () => {
    const registry = createRegistry([registration], activityNames);
    expect(registry.get('registration', 1)).toBe(registration);
    expect(registry.get('registration', 2)).toBeUndefined();
    expect(registry.latest('registration')).toBe(registration);
    expect(registry.list()).toEqual([registration]);
    expect(registry.step(registration, 'verify-email')?.name).toBe('verify-email');
    expect(registry.step(registration, 'nope')).toBeUndefined();
  });

  test('accepts a sound journey (the baseline every broken journey below departs from)', () => {
    expect(() => createRegistry([journey(soundMachine)], activityNames)).not.toThrow();
  });

  test('keeps older versions registered and starts new runs on the newest', () => {
    const v2 = journey(soundMachine, { start }, 2);
    const v3 = journey(soundMachine, { start }, 3);
    const registry = createRegistry([v3, v2], activityNames);
    expect(registry.get('probe', 2)).toBe(v2);
    expect(registry.latest('probe')).toBe(v3);
  });

  test('accepts one step shared by several states (like verify-email while live, locked or expired)', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'again' } },
        again: { on: { start: 'saving' } },
        saving: {
          invoke: { src: 'createUser', input: newUser, onDone: 'done', onError: 'failed' },
        },
        done: { type: 'final' },
        failed: { type: 'final' },
      },
    });
    expect(() =>
      createRegistry([journey(machine, { start, again: start })], activityNames),
    ).not.toThrow();
  });

  test('refuses a state that waits for the customer but is not a step', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'confirm' } },
        confirm: { on: { confirm: 'saving' } },
        saving: {
          invoke: { src: 'createUser', input: newUser, onDone: 'done', onError: 'failed' },
        },
        done: { type: 'final' },
        failed: { type: 'final' },
      },
    });
    expect(problemsOf(journey(machine))).toEqual([
      "probe@3 state 'confirm': waits for the customer but is not an interactive step (no input schema)",
    ]);
  });

  test('refuses a step that names a state the machine does not have', () => {
    expect(problemsOf(journey(soundMachine, { start, 'review.summary': confirm }))).toEqual([
      "probe@3 state 'review.summary': step 'confirm' names a state that does not exist",
    ]);
  });

  test('refuses a step without a zod input schema', () => {
    const schemaless = { name: 'start' } as unknown as StepDefinition;
    expect(problemsOf(journey(soundMachine, { start: schemaless }))).toEqual([
      "probe@3 state 'start': step 'start' has no zod input schema",
    ]);
  });

  test('refuses an invoked src that is not a known activity', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'saving' } },
        saving: { invoke: { src: 'sendFax', onDone: 'done', onError: 'failed' } },
        done: { type: 'final' },
        failed: { type: 'final' },
      },
    });
    expect(problemsOf(journey(machine))).toEqual([
      "probe@3 state 'saving': invokes 'sendFax', which is not a known activity (side effects must be named activities)",
    ]);
  });

  test('refuses an inline actor as a side effect: effects must be named activities', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'saving' } },
        saving: {
          invoke: { src: fromPromise(async () => 'done'), onDone: 'done', onError: 'done' },
        },
        done: { type: 'final' },
      },
    });
    const problems = problemsOf(journey(machine));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^probe@3 state 'saving': invokes /);
  });

  test('refuses an invoke without onError', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'saving' } },
        saving: { invoke: { src: 'createUser', input: newUser, onDone: 'done' } },
        done: { type: 'final' },
      },
    });
    expect(problemsOf(journey(machine))).toEqual([
      "probe@3 state 'saving': invokes 'createUser' without onError",
    ]);
  });

  test('refuses an unreachable state', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'saving' } },
        orphan: { on: { confirm: 'saving' } },
        saving: {
          invoke: { src: 'createUser', input: newUser, onDone: 'done', onError: 'failed' },
        },
        done: { type: 'final' },
        failed: { type: 'final' },
      },
    });
    expect(problemsOf(journey(machine, { start, orphan: confirm }))).toEqual([
      "probe@3 state 'orphan': is unreachable",
    ]);
  });

  test('refuses a journey with no final state', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'saving' } },
        saving: {
          invoke: { src: 'createUser', input: newUser, onDone: 'start', onError: 'start' },
        },
      },
    });
    expect(problemsOf(journey(machine))).toEqual(['probe@3: no final state is reachable']);
  });

  test('refuses a journey whose only final state cannot be reached', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'saving' } },
        saving: {
          invoke: { src: 'createUser', input: newUser, onDone: 'start', onError: 'start' },
        },
        done: { type: 'final' },
      },
    });
    expect(problemsOf(journey(machine))).toEqual([
      "probe@3 state 'done': is unreachable",
      'probe@3: no final state is reachable',
    ]);
  });

  test('refuses two different steps with the same name', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'confirm' } },
        confirm: { on: { confirm: 'saving' } },
        saving: {
          invoke: { src: 'createUser', input: newUser, onDone: 'done', onError: 'failed' },
        },
        done: { type: 'final' },
        failed: { type: 'final' },
      },
    });
    const impostor = step({ name: 'start', input: z.strictObject({ ok: z.literal(true) }) });
    expect(problemsOf(journey(machine, { start, confirm: impostor }))).toEqual([
      "probe@3 state 'confirm': two different steps are named 'start'",
    ]);
  });

  test('refuses the same id@version registered twice', () => {
    expect(problemsOf(journey(soundMachine), journey(soundMachine))).toEqual([
      'probe@3: defined twice',
    ]);
    expect(() => createRegistry([registration, registration], activityNames)).toThrow(
      'registration@1: defined twice',
    );
  });

  test('reports every problem of every journey at once', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'saving' } },
        saving: { invoke: { src: 'sendFax', onDone: 'start' } },
      },
    });
    const problems = problemsOf(journey(machine, { start, missing: confirm }));
    expect(problems).toEqual([
      "probe@3 state 'missing': step 'confirm' names a state that does not exist",
      "probe@3 state 'saving': invokes 'sendFax', which is not a known activity (side effects must be named activities)",
      "probe@3 state 'saving': invokes 'sendFax' without onError",
      'probe@3: no final state is reachable',
    ]);
  });
});
