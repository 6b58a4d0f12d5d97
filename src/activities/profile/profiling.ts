import { createAppRegistry } from '../../apps/app-registry.js';
import type { FieldError } from '../../errors/catalogue.js';
import { loadCatalogue } from '../../profile/attribute-catalogue.js';
import {
  checkPatch,
  type ProfileActor,
  ProfileRefusal,
  sensitiveChangeRequirement,
  writeProfile,
} from '../../profile/profile-store.js';
import { type ProfilingMoment, pendingQuestions } from '../../profile/profiling.js';
import type { SessionRef } from '../../sessions/session-ref.js';
import { unmetRequirement } from '../../sessions/session-requirement.js';
import { accountAal, sessionRefOf } from '../../sessions/session-store.js';
import type { ActivityDeps } from '../deps.js';
import { currentRunId } from '../idempotency.js';
import { createSessionGuard } from '../sessions/session-guard.js';

/** A question as the step shows it: the attribute and the JSON Schema its answer must meet. */
export interface ProfileQuestion {
  attribute: string;
  schema: object;
  description?: string;
}

/**
 * progressive-profiling@1's work. Trust boundary 1: the run's session is re-checked by every
 * call; the customer writes only what the catalogue lets the customer write, by the same check as
 * `/v1/me` (profile-store.ts), and a sensitive attribute only from a recent strong sign-in.
 */
export function profileActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  const liveSession = createSessionGuard(deps);
  const apps = createAppRegistry(prisma);

  /** Whether this session could change a sensitive attribute now (`/v1/me` asks the same). */
  async function canChangeSensitive(session: SessionRef): Promise<boolean> {
    const aal = await accountAal(prisma, session.userId);
    return unmetRequirement(session, sensitiveChangeRequirement(aal), now()) === undefined;
  }

  return {
    /**
     * The next questions of the app's policy (at most its `max_fields_per_step`), each recorded as
     * asked in this run for the funnel. None when the app is unknown or nothing is missing. The
     * sign-in's number is the count of sign-ins through the app so far.
     */
    async profileQuestions(input: {
      session: SessionRef;
      clientId: string;
      moment?: string;
      asked: string[];
    }): Promise<{ questions: ProfileQuestion[] }> {
      const row = await liveSession(prisma, input.session);
      const app = await apps.find(input.clientId);
      if (!app) return { questions: [] };
      const when: ProfilingMoment = input.moment
        ? { moment: input.moment }
        : {
            signIn:
              (
                await prisma.appSignIn.findUnique({
                  where: { userId_appId: { userId: row.userId, appId: app.id } },
                })
              )?.signIns ?? 0,
          };
      const catalogue = await loadCatalogue(prisma);
      const at = now();
      const names = (
        await pendingQuestions(prisma, {
          catalogue,
          userId: row.userId,
          app,
          when,
          sessionId: row.id,
          canChangeSensitive: await canChangeSensitive(sessionRefOf(row)),
          now: at,
          except: input.asked,
        })
      ).slice(0, app.profiling.max_fields_per_step);
      // The funnel per attribute: asked once per run (a retried call records nothing more).
      await prisma.profilingQuestion.createMany({
        data: names.map((attribute) => ({
          journeyId: currentRunId(),
          attribute,
          appId: app.id,
          askedAt: at,
        })),
        skipDuplicates: true,
      });
      return {
        questions: names.map((attribute) => {
          const spec = catalogue.get(attribute);
          return {
            attribute,
            schema: spec?.schema ?? {},
            ...(spec?.description ? { description: spec.description } : {}),
          };
        }),
      };
    },

    /**
     * Saves what the customer answered to the questions shown; each one not answered is skipped
     * (asked again after the app's delay, never in this session). An answer the catalogue refuses
     * is returned field by field (`/answers/<attribute>`), and nothing of the submission is kept.
     */
    async saveProfileAnswers(input: {
      session: SessionRef;
      clientId: string;
      asked: string[];
      answers: Record<string, unknown>;
    }): Promise<{ rejected?: FieldError[]; answered: string[]; skipped: string[] }> {
      const row = await liveSession(prisma, input.session);
      const catalogue = await loadCatalogue(prisma);
      const run = currentRunId();
      const actor: ProfileActor = { party: 'customer', via: 'journey', id: run };
      const unasked = Object.keys(input.answers).filter((name) => !input.asked.includes(name));
      if (unasked.length)
        return {
          rejected: unasked.map((name) => ({
            path: `/answers/${name}`,
            code: 'unknown_field',
            message: 'This question was not asked here',
          })),
          answered: [],
          skipped: [],
        };
      let values: ReadonlyMap<string, unknown>;
      try {
        values = checkPatch(catalogue, actor, input.answers, '/answers').values;
      } catch (error) {
        if (error instanceof ProfileRefusal)
          return { rejected: error.errors, answered: [], skipped: [] };
        throw error;
      }
      const answered = [...values.keys()].filter((name) => values.get(name) !== null);
      // A sensitive answer needs what `/v1/me` needs; the session may have aged since it was asked.
      if (
        answered.some((name) => catalogue.get(name)?.sensitivity === 'sensitive') &&
        !(await canChangeSensitive(sessionRefOf(row)))
      )
        return {
          rejected: answered
            .filter((name) => catalogue.get(name)?.sensitivity === 'sensitive')
            .map((name) => ({
              path: `/answers/${name}`,
              code: 'reauthentication_required',
              message: 'Sign in again to give this',
            })),
          answered: [],
          skipped: [],
        };
      const skipped = input.asked.filter((name) => !answered.includes(name));
      const at = now();
      await writeProfile(
        prisma,
        row.userId,
        actor,
        new Map(answered.map((name) => [name, values.get(name)])),
        at,
      );
      const skip = { userId: row.userId, appId: input.clientId };
      await prisma.$transaction([
        // A skip counts from when this session first made it: a retried call moves nothing.
        prisma.profilingSkip.updateMany({
          where: { ...skip, attribute: { in: skipped }, sessionId: { not: row.id } },
          data: { skippedAt: at, sessionId: row.id },
        }),
        prisma.profilingSkip.createMany({
          data: skipped.map((attribute) => ({
            ...skip,
            attribute,
            skippedAt: at,
            sessionId: row.id,
          })),
          skipDuplicates: true,
        }),
        prisma.profilingSkip.deleteMany({
          where: { userId: row.userId, appId: input.clientId, attribute: { in: answered } },
        }),
        ...[
          ['answered', answered],
          ['skipped', skipped],
        ].map(([outcome, names]) =>
          prisma.profilingQuestion.updateMany({
            where: {
              journeyId: run,
              attribute: { in: names as string[] },
              outcome: null,
            },
            data: { outcome: outcome as string, answeredAt: at },
          }),
        ),
      ]);
      return { answered, skipped };
    },
  };
}
