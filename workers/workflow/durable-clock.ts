import { CancellationScope, sleep } from '@temporalio/workflow';

/**
 * XState's clock inside the workflow: each `after` delay is a durable Temporal timer that only
 * XState cancels. Sandbox `setTimeout` would tie the timer to whatever cancellation scope happens
 * to be current (for instance a `condition(fn, timeout)` race) and cancel it with that scope.
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
