import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { z } from 'zod';
import { registration } from '../../journeys/registration.js';
import { createJourneyTestKit } from '../../src/authoring/test-kit.js';
import { activity, defineJourney, step } from '../../src/journey-kit/index.js';
import { initialRunState } from '../../src/run/run-state.js';

const input = { journeyId: 'jrn_initial', settings: registration.settings.parse({}), start: {} };

describe('initialRunState (the step API answers a start from the journey itself)', () => {
  it('is the view the running journey answers first, when it waits at a step', async () => {
    const kit = createJourneyTestKit(registration, { activities: {}, journeyId: input.journeyId });
    expect(initialRunState(registration, input)).toEqual(await kit.view());
    expect(initialRunState(registration, input)?.step?.name).toBe('credentials');
  });

  it('is undefined for a journey that works before its first step (the run must answer)', () => {
    const machine = setup({
      actors: { createSession: activity('createSession') },
    }).createMachine({
      initial: 'opening',
      output: ({ event }) => event.output,
      states: {
        opening: {
          invoke: {
            src: 'createSession',
            input: { journeyId: 'jrn_x', userId: 'u', aal: 1, amr: ['pwd'] },
            onDone: 'ready',
            onError: 'ready',
          },
        },
        ready: { on: { go: 'done' } },
        done: { type: 'final' },
      },
    });
    const worksFirst = defineJourney({
      id: 'works-first',
      version: 1,
      title: 'Works first',
      machine,
      settings: z.object({}),
      steps: { ready: step({ name: 'ready', input: z.strictObject({}) }) },
    });
    expect(
      initialRunState(worksFirst, { journeyId: 'jrn_x', settings: {}, start: {} }),
    ).toBeUndefined();
  });
});
