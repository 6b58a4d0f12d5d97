/**
 * The step this API instance last showed for each journey, so a submission to that step needs no
 * round trip to learn where the journey is: the workflow's update validator still decides. A
 * submission to any other step, or to a journey this instance has not served (another instance
 * did, or it restarted), asks the journey first. Bounded: the oldest entries go first.
 */
export function createSeenSteps(limit = 50_000) {
  const seen = new Map<string, string | undefined>();
  return {
    /** The step last shown for `id`: a name, `undefined` for none (ended, busy), or not known. */
    shows(id: string, step: string): boolean {
      return seen.has(id) && seen.get(id) === step;
    },
    remember(id: string, view: { status: string; step?: { name: string } }): void {
      seen.delete(id);
      seen.set(id, view.status === 'active' ? view.step?.name : undefined);
      if (seen.size > limit) seen.delete(seen.keys().next().value as string);
    },
  };
}
