import * as wf from '@temporalio/workflow';
import {
  type ActivityName,
  type ActivitySpec,
  activityCatalog,
} from '../../src/activities/catalog.js';
import type { Activities } from '../../src/activities/index.js';
import type { JourneyEventLog } from '../../src/analytics/journey-events.js';
import { toJourneyError } from '../../src/errors/journey-error.js';
import type { ActivityCall } from '../../src/journey-kit/activity.js';

type ActivityFunction = (input: unknown, events?: unknown) => Promise<unknown>;

/**
 * Calls catalogued activities as Temporal activities, local or queued, with their retry policies.
 * With an event log, the run's pending journey events ride along with its next local activity and
 * are written by it (see `withJourneyEvents`): no activity, marker or workflow task of their own.
 */
export function createActivityCaller(events?: JourneyEventLog): ActivityCall {
  const proxies = new Map<ActivitySpec, Record<string, ActivityFunction>>();
  const proxyOf = (spec: ActivitySpec): Record<string, ActivityFunction> => {
    const known = proxies.get(spec);
    if (known) return known;
    const options = { startToCloseTimeout: spec.startToCloseTimeout, retry: spec.retry };
    const proxy = (spec.mode === 'local'
      ? wf.proxyLocalActivities<Activities>(options)
      : wf.proxyActivities<Activities>(options)) as unknown as Record<string, ActivityFunction>;
    proxies.set(spec, proxy);
    return proxy;
  };

  return async (name, input) => {
    const spec = activityCatalog[name as ActivityName];
    const run = proxyOf(spec)[name] as ActivityFunction;
    // Only local activities carry events: a queued one may wait or retry for minutes.
    const carries = events && spec.mode === 'local' && name !== 'recordJourneyEvents';
    const pending = carries ? events.drain() : [];
    if (!pending.length) return run(input);
    try {
      return await run(input, pending);
    } catch (error) {
      // A business failure comes back only after the events were written; anything else may
      // have lost them, so they wait for the next activity (their seq makes a rewrite harmless).
      if (!toJourneyError(error).business) events?.restore(pending);
      throw error;
    }
  };
}
