import type { Duration, RetryPolicy } from '@temporalio/common';

/**
 * How an activity runs inside a journey. Local: short idempotent work (database, hashing) run in
 * the step's own workflow task, ~4 ms. Queued: outbound messages and other slow work that must
 * retry on its own, ~40 ms (both measured on 2 cores, dev server). Each capability declares its
 * activities beside their implementation (src/activities/<capability>/declarations.ts); the
 * workflow reads only these.
 */
export interface ActivitySpec {
  mode: 'local' | 'queued';
  startToCloseTimeout: Duration;
  retry: RetryPolicy;
}

/** Short idempotent work: a few quick retries, then the journey's `onError` decides. */
export const local = (overrides: Partial<Omit<ActivitySpec, 'mode'>> = {}): ActivitySpec => ({
  mode: 'local',
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 2,
    maximumInterval: '2s',
    maximumAttempts: 5,
  },
  ...overrides,
});

/** Slow or external work (a mail server, an SMS provider): retried on its own for minutes. */
export const queued = (overrides: Partial<Omit<ActivitySpec, 'mode'>> = {}): ActivitySpec => ({
  mode: 'queued',
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 10,
  },
  ...overrides,
});
