import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { z } from 'zod';
import { registration } from '../../journeys/registration.js';
import { activity, defineJourney, step } from '../../src/engine/index.js';
import { createJourneyTestKit } from '../../src/engine/test-kit.js';
import { initialView } from '../../src/engine/view.js';

const input = { journeyId: 'jrn_initial', settings: registration.settings.parse({}), start: {} };

describe('initialView (the step API answers a start from the journey itself)', () => {
  it('is the view the running journey answers first, when it waits at a step', async () => {
    const kit = createJourneyTestKit(registration, { activities: {}, journeyId: input.journeyId });
    expect(initialView(registration, input)).toEqual(await kit.view());
    expect(initialView(registration, input)?.step?.name).toBe('credentials');
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
      initialView(worksFirst, { journeyId: 'jrn_x', settings: {}, start: {} }),
    ).toBeUndefined();
  });
});
