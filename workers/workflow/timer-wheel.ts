import { CancellationScope, sleep } from '@temporalio/workflow';

/**
 * XState's clock inside the workflow, and the run's inactivity timeout: every delay the run needs,
 * behind one durable Temporal timer set for the earliest deadline. A registration sets five delays
 * (a step timeout per step, the code's expiry, the resend cooldown) and clears most of them within
 * seconds; as five Temporal timers that is ten history events, here it is one timer per change of
 * the earliest deadline. Handles belong to the run (the sandbox's own `setTimeout` map is shared
 * by every run of the worker's V8 context, see durable-clock.ts).
 */
export function createTimerWheel(root: CancellationScope, onError: (error: unknown) => void) {
  const timers = new Map<number, { at: number; fire: () => void }>();
  let lastId = 0;
  let armed: { at: number; scope: CancellationScope } | undefined;
  let reconciling = false;

  const earliest = (): number | undefined => {
    let at: number | undefined;
    for (const timer of timers.values()) if (at === undefined || timer.at < at) at = timer.at;
    return at;
  };

  /** Fires what is due, in deadline order (then in the order the delays were set). */
  function fireDue(): void {
    const now = Date.now();
    const due = [...timers.entries()]
      .filter(([, timer]) => timer.at <= now)
      .sort(([a, x], [b, y]) => x.at - y.at || a - b);
    for (const [id, timer] of due) {
      // An earlier callback may have cleared this one.
      if (!timers.delete(id)) continue;
      timer.fire();
    }
  }

  /** Keeps one Temporal timer, at the earliest deadline. */
  function reconcile(): void {
    reconciling = false;
    const at = earliest();
    // Nothing waits (the run is ending, or a submission paused its step timeout): a timer left
    // armed fires into nothing at worst, where cancelling it would write an event now; Temporal
    // drops a closed run's timers without a word.
    if (at === undefined || armed?.at === at) return;
    armed?.scope.cancel();
    armed = undefined;
    const scope = new CancellationScope({ cancellable: true, parent: root });
    const mine = { at, scope };
    armed = mine;
    scope
      .run(() => sleep(Math.max(1, at - Date.now())))
      .then(
        () => {
          if (armed === mine) armed = undefined;
          // A throw here would be a rejection no one awaits, which the SDK cannot pin on a run.
          try {
            fireDue();
            reconcile();
          } catch (error) {
            onError(error);
          }
        },
        () => undefined, // cancelled: a nearer deadline replaced it
      );
  }

  /**
   * Timers set and cleared within one activation (XState leaves a state and enters the next)
   * settle once, after it: only the final earliest deadline becomes a command.
   */
  function scheduleReconcile(): void {
    if (reconciling) return;
    reconciling = true;
    void Promise.resolve().then(() => {
      try {
        reconcile();
      } catch (error) {
        onError(error);
      }
    });
  }

  return {
    setTimeout(fire: () => void, ms: number): number {
      lastId += 1;
      timers.set(lastId, { at: Date.now() + Math.max(0, ms), fire });
      scheduleReconcile();
      return lastId;
    },
    clearTimeout(id: number | undefined): void {
      if (id !== undefined && timers.delete(id)) scheduleReconcile();
    },
  };
}
