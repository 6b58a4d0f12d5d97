const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it answers something other than undefined, for what settles on its own time
 * (Temporal visibility, timers, queued activities). Throws with `what` when it never does.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 5_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(intervalMs);
  }
}

/** Waits until the wall clock is past `iso` (plus `marginMs`), e.g. a code's expiry shown in a view. */
export async function sleepPast(iso: string, marginMs = 250): Promise<void> {
  await sleep(Math.max(0, new Date(iso).getTime() - Date.now()) + marginMs);
}
