import type { ActivityDeps } from '../deps.js';
import { ownRun } from '../idempotency.js';
import { canonicalRecipient } from '../otp/recipients.js';

/** A subscription a journey has seen confirmed: the address proved by its code. */
export interface ConfirmedSubscription {
  journeyId: string;
  /** The list subscribed to (`newsletter`). */
  list: string;
  address: string;
  /** The version of the list's terms the customer was shown. */
  policyVersion: string;
}

export function subscriptionActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  return {
    /**
     * Records a confirmed subscription: one row per list and address, holding the latest
     * confirmation (terms version, time, run). An address already subscribed is confirmed again,
     * exactly as a new one: the journey answers both alike. Idempotent per run: a retry finds the
     * row its first attempt wrote and leaves it as it is.
     */
    async recordSubscription(input: ConfirmedSubscription): Promise<{ subscriptionId: string }> {
      const run = ownRun(input.journeyId);
      const address = canonicalRecipient('email', input.address);
      const where = { list_address: { list: input.list, address } };
      const existing = await prisma.subscription.findUnique({
        where,
        select: { id: true, journeyId: true },
      });
      if (existing?.journeyId === run) return { subscriptionId: existing.id };
      const confirmation = {
        policyVersion: input.policyVersion,
        confirmedAt: now(),
        journeyId: run,
      };
      const { id } = await prisma.subscription.upsert({
        where,
        create: { list: input.list, address, ...confirmation },
        update: confirmation,
        select: { id: true },
      });
      return { subscriptionId: id };
    },
  };
}
