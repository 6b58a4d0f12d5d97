import { analyticsActivities } from './analytics.js';
import type { ActivityDeps } from './deps.js';
import { emailVerificationActivities } from './email-verification.js';
import { messageActivities } from './messages.js';
import { sessionActivities } from './sessions.js';
import { userActivities } from './users.js';

/**
 * Every activity a journey can invoke, grouped by capability and built from injected deps
 * (`now` defaults to the wall clock).
 */
export function createActivities(options: Omit<ActivityDeps, 'now'> & { now?: () => Date }) {
  const deps: ActivityDeps = { ...options, now: options.now ?? (() => new Date()) };
  return {
    ...emailVerificationActivities(deps),
    ...messageActivities(deps),
    ...userActivities(deps),
    ...sessionActivities(deps),
    ...analyticsActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
