import { CancellationScope, sleep } from '@temporalio/workflow';

/**
 * XState's clock inside the workflow: each `after` delay is a durable Temporal timer that only
 * this run's XState cancels. The sandbox's own `setTimeout` keeps handles in one map per V8
 * context, and the worker reuses that context for every run: two registrations on one worker got
 * the same handles, so one run's `clearTimeout` cancelled the other's timers (a nondeterminism
 * error, a retried task, an already-consumed code). Handles here belong to the run.
 */
export function createDurableClock(root: CancellationScope) {
  const timers = new Map<number, CancellationScope>();
  let lastId = 0;
  return {
    setTimeout(fire: () => void, ms: number): number {
      lastId += 1;
      const id = lastId;
      const scope = new CancellationScope({ cancellable: true, parent: root });
      timers.set(id, scope);
      scope
        .run(() => sleep(Math.max(1, ms)))
        .then(
          () => {
            timers.delete(id);
            fire();
          },
          () => timers.delete(id),
        );
      return id;
    },
    clearTimeout(id: number): void {
      timers.get(id)?.cancel();
      timers.delete(id);
    },
  };
}
