import { isUniqueViolation } from '../db/prisma.js';
import { canonicalEmail } from '../engine/fields.js';
import { businessFailure } from '../engine/journey-error.js';
import type { ActivityDeps } from './deps.js';

export function userActivities(deps: ActivityDeps) {
  const { prisma } = deps;
  const { now } = deps;
  return {
    /**
     * Creates the customer with a verified email, a password credential and the accepted terms.
     * Idempotent per journey run: a retry finds the user this run already created (after the
     * insert fails on it: a first call makes no lookup).
     */
    async createUser(input: {
      journeyId: string;
      email: string;
      passwordHash: string;
      termsVersion: string;
    }): Promise<{ userId: string }> {
      const mine = () =>
        prisma.user.findUnique({
          where: { createdByJourney: input.journeyId },
          select: { id: true },
        });
      const at = now();
      try {
        const user = await prisma.user.create({
          data: {
            createdByJourney: input.journeyId,
            createdAt: at,
            identifiers: {
              create: {
                type: 'email',
                value: canonicalEmail(input.email),
                verifiedAt: at,
                createdAt: at,
              },
            },
            credentials: {
              create: {
                type: 'password',
                secretHash: input.passwordHash,
                createdAt: at,
                updatedAt: at,
              },
            },
            consents: {
              create: {
                purpose: 'terms',
                policyVersion: input.termsVersion,
                action: 'granted',
                at,
                source: input.journeyId,
              },
            },
          },
          select: { id: true },
        });
        return { userId: user.id };
      } catch (error) {
        // A retry of this call (the run's user exists already), or the email is someone else's.
        if (!isUniqueViolation(error)) throw error;
        const created = await mine();
        if (created) return { userId: created.id };
        throw businessFailure('email_taken');
      }
    },
  };
}
