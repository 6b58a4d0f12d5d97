/** Journey events an analyst counts: where runs enter, submit, fail at and abandon each step. */
export type JourneyEventType =
  | 'started'
  | 'step_entered'
  | 'step_submitted'
  | 'step_rejected'
  | 'completed'
  | 'failed'
  | 'abandoned'
  | 'expired';

export interface JourneyEventRecord {
  journeyId: string;
  journey: string;
  version: number;
  /** The app that started the run; absent for runs started before channels were recorded. */
  channel?: string;
  /** Position in the run: with journeyId, the idempotency key that makes re-recording harmless. */
  seq: number;
  type: JourneyEventType;
  step?: string;
  at: string;
  detail?: Record<string, unknown>;
}

export type JourneyEventLog = ReturnType<typeof createJourneyEventLog>;

/**
 * Buffers a run's events until the next flush; sequence numbers make the flush idempotent.
 * `recorded`: how many the run's first events someone else wrote (the step API, for a run it
 * opened before Temporal started it), so this log goes on after them.
 */
export function createJourneyEventLog(
  run: { journeyId: string; journey: string; version: number; channel?: string },
  now: () => number,
  recorded = 0,
) {
  let seq = recorded;
  let pending: JourneyEventRecord[] = [];
  return {
    /** `at`: when it happened, if not now (a deadline the run learns of late). */
    push(
      type: JourneyEventType,
      step?: string,
      detail?: Record<string, unknown>,
      at?: number,
    ): void {
      seq += 1;
      pending.push({
        ...run,
        seq,
        type,
        at: new Date(at ?? now()).toISOString(),
        ...(step ? { step } : {}),
        ...(detail ? { detail } : {}),
      });
    },
    /** What waits for the next flush, left in place. */
    peek(): readonly JourneyEventRecord[] {
      return pending;
    },
    drain(): JourneyEventRecord[] {
      const drained = pending;
      pending = [];
      return drained;
    },
    /** Puts back events a flush may not have written, ahead of those pushed since. */
    restore(events: JourneyEventRecord[]): void {
      pending = [...events, ...pending];
    },
  };
}
