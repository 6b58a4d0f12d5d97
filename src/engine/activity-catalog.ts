import type { Duration, RetryPolicy } from '@temporalio/common';
import type { Activities } from '../activities/index.js';

/**
 * How each activity runs inside a journey. Local: short idempotent work (database, hashing) run in
 * the step's own workflow task, ~4 ms. Queued: outbound messages and other slow work that must
 * retry on its own, ~40 ms (ENVIRONMENT.md).
 */
export interface ActivitySpec {
  mode: 'local' | 'queued';
  startToCloseTimeout: Duration;
  retry: RetryPolicy;
}

const local: ActivitySpec = {
  mode: 'local',
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 2,
    maximumInterval: '2s',
    maximumAttempts: 5,
  },
};

const queued: ActivitySpec = {
  mode: 'queued',
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 10,
  },
};

export type ActivityName = keyof Activities;

export const activityCatalog = {
  issueEmailCode: local,
  verifyEmailCode: local,
  createUser: local,
  createSession: local,
  deliverMessage: queued,
  recordJourneyEvents: local,
} satisfies Record<ActivityName, ActivitySpec>;

export const activityNames = Object.keys(activityCatalog) as ActivityName[];
