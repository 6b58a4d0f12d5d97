import type { Prisma } from '../db/prisma.js';
import type { JourneyEventRecord } from '../engine/journey-events.js';
import type { ActivityDeps } from './deps.js';

export function analyticsActivities({ prisma }: ActivityDeps) {
  return {
    /** Stores a run's journey events; (journeyId, seq) makes a retried batch harmless. */
    async recordJourneyEvents(events: JourneyEventRecord[]): Promise<void> {
      await prisma.journeyEvent.createMany({
        data: events.map((event) => ({
          ...event,
          at: new Date(event.at),
          detail: event.detail as Prisma.InputJsonValue | undefined,
        })),
        skipDuplicates: true,
      });
    },
  };
}
