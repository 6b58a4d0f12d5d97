import type { AnyActorLogic } from 'xstate';
import { fromPromise } from 'xstate';
import type { ActivityName } from '../activities/catalog.js';
import type { Activities } from '../activities/index.js';
import { toJourneyError } from '../errors/journey-error.js';

/** Runs one named activity: a Temporal activity in the workflow, a fake in the test kit. */
export type ActivityCall = (name: string, input: unknown) => Promise<unknown>;

/**
 * Binds every activity name to an XState promise actor, so a journey's `invoke: { src }` runs the
 * activity and its `onError` receives a typed journey error.
 */
export function activityActors(
  names: Iterable<string>,
  call: ActivityCall,
): Record<string, AnyActorLogic> {
  const actors: Record<string, AnyActorLogic> = {};
  for (const name of names) {
    actors[name] = fromPromise(async ({ input }) => {
      try {
        return await call(name, input);
      } catch (error) {
        throw toJourneyError(error);
      }
    });
  }
  return actors;
}

type ActivityFn<TName extends ActivityName> = Activities[TName] extends (
  input: infer I,
) => Promise<infer O>
  ? { input: I; output: O }
  : never;

/**
 * Declares an activity a journey invokes, typed from the activity itself. The placeholder never
 * runs: the engine binds the real activity (or the test kit a fake) by name.
 */
export function activity<TName extends ActivityName>(name: TName) {
  return fromPromise<ActivityFn<TName>['output'], ActivityFn<TName>['input']>(() =>
    Promise.reject(new Error(`activity '${name}' is bound by the journey engine`)),
  );
}

/**
 * What an activity answered, read in a guard or an action named in `setup()`, where XState types
 * the event as any of the journey's (it types the done event only inside `invoke`):
 * `outputOf('confirmTotp', event).firstFactor`, typed from the activity itself.
 */
export function outputOf<TName extends ActivityName>(
  _name: TName,
  event: { type: string },
): ActivityFn<TName>['output'] {
  return (event as unknown as { output: ActivityFn<TName>['output'] }).output;
}
