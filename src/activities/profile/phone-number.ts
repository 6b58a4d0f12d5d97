import type { SessionRef } from '../../sessions/session-ref.js';
import type { ActivityDeps } from '../deps.js';
import { currentRunId } from '../idempotency.js';
import { provenRecipient } from '../otp/proven-challenge.js';
import { createSessionGuard } from '../sessions/session-guard.js';

/** What verifying the profile's phone number proves it with: a code texted to it by this run. */
export const PHONE_VERIFICATION_PURPOSE = 'phone-verification';

/** phone-change@1's work: the profile's phone number, once a texted code proved it. */
export function profilePhoneActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  const liveSession = createSessionGuard(deps);
  return {
    /**
     * Writes `phone_number` as verified, with its audit row. The number is the one this run's own
     * consumed challenge was texted to (proven-challenge.ts), never an argument: a run's arguments
     * can be written by anyone who reaches Temporal (trust boundary 1). Idempotent on retry.
     */
    async setVerifiedPhone(input: {
      session: SessionRef;
      challengeId: string;
    }): Promise<{ changed: boolean }> {
      return prisma.$transaction(async (tx) => {
        const { userId } = await liveSession(tx, input.session);
        const phone = await provenRecipient(tx, input.challengeId, {
          purpose: PHONE_VERIFICATION_PURPOSE,
          channel: 'sms',
          refusal: 'invalid_code',
        });
        const current = await tx.profileValue.findUnique({
          where: { userId_attribute: { userId, attribute: 'phone_number' } },
        });
        if (current?.value === phone && current.verifiedAt) return { changed: false };
        const at = now();
        const run = currentRunId();
        const data = {
          value: phone,
          source: `journey:${run}`,
          verifiedAt: at,
          updatedAt: at,
        };
        await tx.profileValue.upsert({
          where: { userId_attribute: { userId, attribute: 'phone_number' } },
          create: { userId, attribute: 'phone_number', ...data },
          update: data,
        });
        await tx.profileChange.create({
          data: {
            userId,
            actor: 'journey',
            actorId: run,
            attributes: ['phone_number', 'phone_number_verified'],
            at,
          },
        });
        return { changed: true };
      });
    },
  };
}
