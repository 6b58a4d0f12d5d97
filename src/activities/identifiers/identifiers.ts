import { randomUUID } from 'node:crypto';
import type { ChangeNoticeTemplate } from '../../channels/render.js';
import { recordDecisions } from '../../consent/consent-records.js';
import { type ConsentDecisions, checkDecisions } from '../../consent/consent-request.js';
import { type DbClient, isUniqueViolation } from '../../db/prisma.js';
import { businessFailure } from '../../errors/journey-error.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import type { ActivityDeps } from '../deps.js';
import { activityIdempotencyKey, ownRun } from '../idempotency.js';
import { canonicalRecipient } from '../otp/recipients.js';
import { createOutbox } from '../outbox/outbox.js';
import { createSessionGuard } from '../sessions/session-guard.js';

/** An identifier a journey has established (an email address it verified by code). */
export interface NewIdentifier {
  type: 'email';
  value: string;
  verified: boolean;
}

/** `ada.lovelace@example.com` → `a***@example.com`: enough for its owner to recognise it. */
export const maskEmail = (address: string): string => {
  const at = address.lastIndexOf('@');
  return `${address.slice(0, 1)}***${address.slice(at)}`;
};

export function identifierActivities(deps: ActivityDeps) {
  const { prisma, renderMessage, productName, now } = deps;
  const outbox = createOutbox(deps);
  const liveSession = createSessionGuard(deps);
  return {
    /**
     * Creates a customer: identifiers, a password credential and the consents given on the way, in
     * one transaction. Idempotent per journey run: a retry finds the account this run created
     * (after the insert fails on it: a first call makes no lookup).
     */
    async createAccount(input: {
      journeyId: string;
      identifiers: NewIdentifier[];
      passwordHash?: string;
      consents?: Array<{ purpose: string; policyVersion: string }>;
      /** The consent step's decisions (registration@3), checked again and recorded with it. */
      consent?: ConsentDecisions & { locales: string[]; step: string };
    }): Promise<{ userId: string }> {
      const journeyId = ownRun(input.journeyId);
      const at = now();
      const { consent } = input;
      try {
        if (consent)
          // One transaction: an account never exists without the decisions made to open it.
          return await prisma.$transaction(async (tx) => {
            const checked = await checkDecisions(tx, { ...consent, now: at });
            if ('rejected' in checked)
              throw businessFailure(checked.rejected[0]?.code ?? 'policy_version_mismatch');
            const { userId } = await create(tx);
            await recordDecisions(tx, {
              userId,
              decisions: checked.decisions,
              collection: {
                method: 'journey',
                source: journeyId,
                step: consent.step,
                channel: 'api',
              },
              now: at,
            });
            return { userId };
          });
        return await create(prisma);
      } catch (error) {
        // A retry of this call (the run's account exists already), or the identifier is taken.
        if (!isUniqueViolation(error)) throw error;
        const created = await prisma.user.findUnique({
          where: { createdByJourney: journeyId },
          select: { id: true },
        });
        if (created) return { userId: created.id };
        throw businessFailure('email_taken');
      }

      async function create(db: DbClient): Promise<{ userId: string }> {
        const user = await db.user.create({
          data: {
            createdByJourney: journeyId,
            createdAt: at,
            identifiers: {
              create: input.identifiers.map((identifier) => ({
                type: identifier.type,
                value: canonicalRecipient('email', identifier.value),
                verifiedAt: identifier.verified ? at : null,
                createdAt: at,
              })),
            },
            ...(input.passwordHash
              ? {
                  credentials: {
                    create: {
                      type: 'password',
                      secretHash: input.passwordHash,
                      createdAt: at,
                      updatedAt: at,
                    },
                  },
                }
              : {}),
            consents: {
              create: (input.consents ?? []).map((consent) => ({
                ...consent,
                action: 'granted',
                at,
                source: journeyId,
              })),
            },
          },
          select: { id: true },
        });
        return { userId: user.id };
      }
    },

    /**
     * Replaces a customer's email address by one the journey verified, while the session the
     * journey acts for is still live and at the level it demanded (session-guard.ts), and tells
     * the previous address (a notice, never a code) in the same transaction. Idempotent per
     * activity call.
     */
    async replaceEmail(input: {
      journeyId: string;
      session: SessionRef;
      value: string;
      notifyPrevious: { template: ChangeNoticeTemplate; locales?: string[] };
    }): Promise<{ messageId?: string }> {
      const journeyId = ownRun(input.journeyId);
      const idempotencyKey = activityIdempotencyKey();
      const value = canonicalRecipient('email', input.value);
      const at = now();
      try {
        return await prisma.$transaction(async (tx) => {
          const { userId } = await liveSession(tx, input.session);
          const current = await tx.identifier.findFirst({
            where: { userId, type: 'email' },
            orderBy: { createdAt: 'asc' },
          });
          if (current?.value === value) {
            // A retry of this very call: the change and its notice are in already.
            const sent = await tx.outboundMessage.findUnique({ where: { idempotencyKey } });
            return sent ? { messageId: sent.id } : {};
          }
          if (current)
            await tx.identifier.update({
              where: { id: current.id },
              data: { value, verifiedAt: at },
            });
          else
            await tx.identifier.create({
              data: { userId, type: 'email', value, verifiedAt: at, createdAt: at },
            });
          if (!current) return {};
          const message = await outbox.enqueue(tx, {
            id: randomUUID(),
            idempotencyKey,
            journeyId,
            channel: 'email',
            to: current.value,
            template: input.notifyPrevious.template,
            rendered: renderMessage(
              'email',
              input.notifyPrevious.template,
              { productName, newAddress: maskEmail(value) },
              input.notifyPrevious.locales,
            ),
          });
          return { messageId: message.id };
        });
      } catch (error) {
        // Someone else's address now (claimed since the code was sent): the run cannot complete.
        if (isUniqueViolation(error)) throw businessFailure('email_taken');
        throw error;
      }
    },
  };
}
