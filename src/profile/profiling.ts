import type { RegisteredApp } from '../apps/app-registry.js';
import { questionsDue } from '../apps/profiling-policy.js';
import type { DbClient } from '../db/prisma.js';
import type { Catalogue } from './attribute-catalogue.js';
import { mayWrite, presentAttributes } from './profile-store.js';

/** When progressive profiling is asked to look: a sign-in through the app, or the app's moment. */
export type ProfilingMoment = { signIn: number } | { moment: string };

/**
 * The attributes an app's policy would ask this customer now, in the policy's order: due at this
 * moment, missing from the profile (a value asserted by a verified upstream identity is present,
 * so never asked), writable by the customer, and not skipped within the app's delay, nor ever in
 * this very session. `canChangeSensitive`: whether the session could change a sensitive attribute
 * now (a recent sign-in at the account's highest level); if not, those are left for later.
 */
export async function pendingQuestions(
  db: DbClient,
  input: {
    catalogue: Catalogue;
    userId: string;
    app: RegisteredApp;
    when: ProfilingMoment;
    sessionId: string;
    canChangeSensitive: boolean;
    now: Date;
    /** Already asked in this run. */
    except?: readonly string[];
  },
): Promise<string[]> {
  const due = questionsDue(input.app.profiling, input.when).filter(
    (name) => !input.except?.includes(name),
  );
  if (!due.length) return [];
  const customer = { party: 'customer', via: 'journey', id: input.sessionId } as const;
  const askable = due.filter((name) => {
    const spec = input.catalogue.get(name);
    return (
      spec !== undefined &&
      mayWrite(customer, name, spec) &&
      (spec.sensitivity !== 'sensitive' || input.canChangeSensitive)
    );
  });
  if (!askable.length) return [];
  const [present, skips] = await Promise.all([
    presentAttributes(db, input.userId),
    db.profilingSkip.findMany({
      where: { userId: input.userId, appId: input.app.id, attribute: { in: askable } },
    }),
  ]);
  const delayMs = input.app.profiling.ask_again_after_seconds * 1000;
  const resting = new Set(
    skips
      .filter(
        (skip) =>
          skip.sessionId === input.sessionId ||
          skip.skippedAt.getTime() + delayMs > input.now.getTime(),
      )
      .map((skip) => skip.attribute),
  );
  return askable.filter((name) => !present.has(name) && !resting.has(name));
}
