// The no-op floors: bare XState machines advanced by Temporal updates, no Parcours code. Four round
// trips a journey, like a registration (start, then three steps), or one, like a one-step sign-in
// (started by its only update, which ends it), and nothing else.
import { condition, defineUpdate, setHandler } from '@temporalio/workflow';
import { createActor, setup } from 'xstate';

export const advanceUpdate = defineUpdate<string, []>('advance');
export const viewUpdate = defineUpdate<string, []>('view');

const machine = setup({ types: { events: {} as { type: 'next' } } }).createMachine({
  initial: 'first',
  states: {
    first: { on: { next: 'second' } },
    second: { on: { next: 'third' } },
    third: { on: { next: 'done' } },
    done: { type: 'final' },
  },
});

export async function floorJourney(): Promise<void> {
  const actor = createActor(machine).start();
  const state = () => String(actor.getSnapshot().value);
  setHandler(viewUpdate, state);
  setHandler(advanceUpdate, () => {
    actor.send({ type: 'next' });
    return state();
  });
  await condition(() => actor.getSnapshot().status === 'done');
}

const oneStep = setup({ types: { events: {} as { type: 'next' } } }).createMachine({
  initial: 'waiting',
  states: { waiting: { on: { next: 'done' } }, done: { type: 'final' } },
});

/** A sign-in's shape in Temporal: Update-with-Start, and the update ends the run. */
export async function floorSignIn(): Promise<void> {
  const actor = createActor(oneStep).start();
  setHandler(advanceUpdate, () => {
    actor.send({ type: 'next' });
    return String(actor.getSnapshot().value);
  });
  await condition(() => actor.getSnapshot().status === 'done');
}
