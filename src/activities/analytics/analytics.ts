import type { JourneyEventRecord } from '../../analytics/journey-events.js';
import type { Prisma } from '../../db/prisma.js';
import type { ActivityDeps } from '../deps.js';

type Activity = (input: never) => Promise<unknown>;

/**
 * Lets every activity write the journey events its run hands it with the call (a second argument,
 * see workers/workflow/activity-caller.ts) before its own work: a business failure never loses
 * them, and a failed write fails the attempt before any effect, so the retry is clean
 * ((journeyId, seq) keeps each event once).
 */
export function withJourneyEvents<T extends Record<string, Activity>>(
  activities: T & { recordJourneyEvents: (events: JourneyEventRecord[]) => Promise<void> },
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, activity] of Object.entries(activities) as [string, Activity][]) {
    wrapped[name] =
      name === 'recordJourneyEvents'
        ? activity
        : async (input: never, events?: JourneyEventRecord[]) => {
            if (events?.length) await activities.recordJourneyEvents(events);
            return activity(input);
          };
  }
  return wrapped as T;
}

/** Journey events as rows of the journey_events table. */
export function journeyEventRows(events: JourneyEventRecord[]) {
  return events.map((event) => ({
    ...event,
    at: new Date(event.at),
    detail: event.detail as Prisma.InputJsonValue | undefined,
  }));
}

/** Stores journey events; (journeyId, seq) makes a batch written twice harmless. */
export async function recordJourneyEvents(
  prisma: ActivityDeps['prisma'],
  events: JourneyEventRecord[],
): Promise<void> {
  await prisma.journeyEvent.createMany({ data: journeyEventRows(events), skipDuplicates: true });
}

export function analyticsActivities({ prisma }: ActivityDeps) {
  return {
    /** Stores a run's journey events; (journeyId, seq) makes a retried batch harmless. */
    async recordJourneyEvents(events: JourneyEventRecord[]): Promise<void> {
      await prisma.journeyEvent.createMany({
        data: journeyEventRows(events),
        skipDuplicates: true,
      });
    },
  };
}
