import { describe, expect, test } from 'vitest';
import { type AnyStateMachine, fromPromise, setup } from 'xstate';
import { z } from 'zod';
import { registrationV1 } from '../../journeys/registration-v1.js';
import { registrationV2 as registration } from '../../journeys/registration-v2.js';
import { activityNames } from '../../src/activities/catalog.js';
import type { StepDefinition } from '../../src/journey-kit/define-journey.js';
import { absoluteIdsIn } from '../../src/journey-kit/fragment.js';
import { activity, defineJourney, type Fragment, step } from '../../src/journey-kit/index.js';
import { JourneyDefinitionError } from '../../src/journey-registry/check-journey.js';
import { createRegistry } from '../../src/journey-registry/registry.js';

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
    expect((error as JourneyDefinitionError).code).toBe('invalid_journey_definition');
    expect((error as Error).message).toContain(
      (error as JourneyDefinitionError).problems.join('\n  - '),
    );
    return (error as JourneyDefinitionError).problems;
  }
  throw new Error('createRegistry accepted a broken journey');
}

describe('createRegistry', () => {
  test('refuses settings that do not parse their own output unchanged (runs get them parsed, defaults filled in)', () => {
    const transforming = defineJourney({
      id: 'probe',
      version: 3,
      title: 'A journey under test',
      machine: soundMachine,
      steps: { start },
      settings: z.object({ delay: z.string().default('5').transform(Number) }),
    });
    expect(problemsOf(transforming as ReturnType<typeof journey>)).toEqual([
      'probe@3: its settings do not parse their own output unchanged (no transforms in settings)',
    ]);
  });

  test('accepts both registration versions and serves them by id@version, the newest as latest, and by step name', () => {
    const registry = createRegistry([registration, registrationV1], activityNames);
    expect(registry.get('registration', 1)).toBe(registrationV1);
    expect(registry.get('registration', 2)).toBe(registration);
    expect(registry.get('registration', 3)).toBeUndefined();
    expect(registry.latest('registration')).toBe(registration);
    expect(registry.list()).toEqual([registrationV1, registration]);
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
      'registration@2: defined twice',
    );
  });

  test('refuses a finishing state that is a step: its outcome is decided, nothing is asked', () => {
    const machine = withActivities.createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { tags: ['finishing'], on: { start: 'done' } },
        done: { type: 'final' },
      },
    });
    expect(problemsOf(journey(machine))).toEqual([
      "probe@3 state 'start': is finishing, so it cannot be a step",
    ]);
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

describe('fragments', () => {
  /** A fragment asking to confirm twice: one step, one named guard, two outcomes. */
  const confirmTwice = (state: Record<string, unknown>): Fragment => ({
    name: 'confirm-twice',
    state,
    steps: { waiting: confirm },
    implementations: {
      actors: {},
      guards: { 'confirmTwice.sure': () => true },
      actions: {},
      delays: {},
    },
  });
  const relative = {
    initial: 'waiting',
    states: {
      waiting: { on: { confirm: { guard: 'confirmTwice.sure', target: 'confirmed' } } },
      confirmed: { type: 'final' },
    },
  };

  function including(
    fragment: Fragment,
    options: { spread?: boolean; onDone?: boolean; placed?: Record<string, unknown> } = {},
  ) {
    const machine = setup({
      types: { events: {} as { type: 'start' } | { type: 'confirm' } },
      guards: options.spread === false ? {} : fragment.implementations.guards,
    }).createMachine({
      id: 'probe',
      initial: 'start',
      states: {
        start: { on: { start: 'confirming' } },
        confirming: {
          ...(options.placed ?? fragment.state),
          ...(options.onDone === false ? {} : { onDone: 'done' }),
        },
        done: { type: 'final' },
      },
    } as never);
    return defineJourney({
      id: 'probe',
      version: 3,
      title: 'A journey under test',
      machine: machine as unknown as AnyStateMachine,
      steps: { start },
      settings: z.object({}),
      fragments: { confirming: fragment },
    });
  }

  test('finds, routes and checks the steps of a fragment under the state it is placed at', () => {
    const definition = including(confirmTwice(relative));
    expect(Object.keys(definition.steps)).toEqual(['start', 'confirming.waiting']);
    const registry = createRegistry([definition], activityNames);
    expect(registry.step(definition, 'confirm')).toBe(confirm);
  });

  test('refuses absolute ids inside a fragment: it would only work in one journey', () => {
    const absolute = confirmTwice({
      initial: 'waiting',
      states: {
        waiting: { id: 'waitingHere', on: { confirm: '#probe.done' } },
        confirmed: { type: 'final' },
      },
    });
    expect(problemsOf(including(absolute))).toEqual([
      "probe@3 state 'confirming': fragment 'confirm-twice' uses an absolute id (waiting: id 'waitingHere'): target relatively",
      "probe@3 state 'confirming': fragment 'confirm-twice' uses an absolute id (waiting: target '#probe.done'): target relatively",
      "probe@3 state 'confirming.confirmed': is unreachable",
    ]);
  });

  test('refuses a fragment whose outcome the journey does not handle (no onDone)', () => {
    expect(problemsOf(including(confirmTwice(relative), { onDone: false }))).toContain(
      "probe@3 state 'confirming': fragment 'confirm-twice' has no onDone, so its outcome would be lost",
    );
  });

  test("refuses a fragment whose implementations are missing from the journey's setup()", () => {
    expect(problemsOf(including(confirmTwice(relative), { spread: false }))).toEqual([
      "probe@3 state 'confirming': fragment 'confirm-twice' needs guards 'confirmTwice.sure': list it in journeySetup's fragments",
    ]);
  });

  test('refuses a fragment declared at a state that is not the one placed there', () => {
    const placed = { initial: 'waiting', states: { ...relative.states } };
    expect(problemsOf(including(confirmTwice(relative), { placed }))).toEqual([
      "probe@3 state 'confirming': fragment 'confirm-twice' is declared here but the state is not the fragment's",
    ]);
  });

  test('the shared code challenge has no absolute id, and registration@2 includes it soundly', () => {
    const [, fragment] = Object.entries(registration.fragments ?? {})[0] ?? [];
    expect(fragment?.name).toBe('email-code');
    expect(absoluteIdsIn((fragment as Fragment).state)).toEqual([]);
    expect(() => createRegistry([registration], activityNames)).not.toThrow();
  });
});
