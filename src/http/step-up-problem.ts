import type { SessionRef, SessionRequirement } from '../sessions/session-ref.js';
import { unmetRequirement } from '../sessions/session-requirement.js';
import { HttpProblem } from './problem.js';

/** The journey that raises a session (a fresh sign-in, a second factor). */
export const STEP_UP_JOURNEY = 'step-up';
const JOURNEYS = '/v1/journeys';

/**
 * Refuses a session that misses a requirement (403, in OIDC terms: `max_age` or `aal`), naming
 * where the app raises it first: step-up@1, with what is missing as its start body.
 */
export function requireSession(
  session: Pick<SessionRef, 'aal' | 'authTime'>,
  requirement: SessionRequirement,
  now: Date,
  options: { stepUp: boolean } = { stepUp: true },
): void {
  const unmet = unmetRequirement(session, requirement, now);
  if (!unmet) return;
  throw new HttpProblem(unmet.code, {
    requirement: unmet.requirement,
    ...(options.stepUp
      ? {
          step_up: {
            method: 'POST',
            href: `${JOURNEYS}/${STEP_UP_JOURNEY}/start`,
            body: unmet.requirement,
          },
        }
      : {}),
    session: { aal: session.aal, auth_time: session.authTime },
  });
}
