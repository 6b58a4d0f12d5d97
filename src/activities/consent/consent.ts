import { recordDecisions } from '../../consent/consent-records.js';
import {
  type ConsentDecisions,
  type ConsentRequest,
  checkDecisions,
  consentRequest,
} from '../../consent/consent-request.js';
import type { FieldError } from '../../errors/catalogue.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import type { ActivityDeps } from '../deps.js';
import { currentRunId } from '../idempotency.js';
import { createSessionGuard } from '../sessions/session-guard.js';

/**
 * consent@1's work, and registration's consent step. Trust boundary 1: the customer is the run's
 * session, re-checked by every call; the decisions are checked again where they are recorded, so
 * a decision never names a policy version that is not in effect, whatever the run was handed.
 */
export function consentActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  const liveSession = createSessionGuard(deps);
  return {
    /** What a consent step asks now: of the session's customer, or of someone registering. */
    async consentToAsk(input: {
      session?: SessionRef;
      locales: string[];
    }): Promise<ConsentRequest> {
      const userId = input.session ? (await liveSession(prisma, input.session)).userId : undefined;
      return consentRequest(prisma, {
        ...(userId ? { userId } : {}),
        locales: input.locales,
        now: now(),
      });
    },

    /** Checks registration's decisions before there is an account to record them on. */
    async checkConsent(
      input: ConsentDecisions & { locales: string[] },
    ): Promise<{ rejected?: FieldError[] }> {
      const checked = await checkDecisions(prisma, { ...input, now: now() });
      return 'rejected' in checked ? { rejected: checked.rejected } : {};
    },

    /**
     * Records the session's customer's decisions, each a new record naming this run and step.
     * Refused decisions record nothing and come back with their JSON pointers.
     */
    async recordConsent(
      input: ConsentDecisions & { session: SessionRef; locales: string[]; step: string },
    ): Promise<{ rejected?: FieldError[]; recorded: number }> {
      return prisma.$transaction(async (tx) => {
        const { userId } = await liveSession(tx, input.session);
        const at = now();
        const checked = await checkDecisions(tx, { ...input, userId, now: at });
        if ('rejected' in checked) return { rejected: checked.rejected, recorded: 0 };
        const recorded = await recordDecisions(tx, {
          userId,
          decisions: checked.decisions,
          collection: {
            method: 'journey',
            source: currentRunId(),
            step: input.step,
            channel: 'api',
          },
          now: at,
        });
        return { recorded: recorded.length };
      });
    },
  };
}
