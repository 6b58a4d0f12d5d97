/**
 * How many refused submissions this API instance tells each run of (so its funnel counts them).
 * Each costs the run a few history events: a client sending bad input without end must not grow a
 * run's history without end, so past the budget a run's refusals go uncounted. Bounded in runs
 * too: the oldest go first.
 */
export function createRefusalBudget(perRun = 20, runs = 50_000) {
  const spent = new Map<string, number>();
  return {
    /** Takes one from `id`'s budget: false once it is spent. */
    take(id: string): boolean {
      const used = spent.get(id) ?? 0;
      if (used >= perRun) return false;
      spent.delete(id);
      spent.set(id, used + 1);
      if (spent.size > runs) spent.delete(spent.keys().next().value as string);
      return true;
    },
  };
}
