import type { ErrorCode } from '../errors/catalogue.js';
import type { SessionRef, SessionRequirement } from './session-ref.js';

/** Which requirement a session falls short of, in OIDC terms, so the app can step up first. */
export interface UnmetRequirement {
  code: Extract<ErrorCode, 'reauthentication_required' | 'stronger_authentication_required'>;
  requirement: { max_age?: number; aal?: number };
}

/**
 * Checks a session against what a journey demands. The assurance level comes first: stepping up
 * with a second factor also refreshes the authentication time.
 */
export function unmetRequirement(
  session: Pick<SessionRef, 'aal' | 'authTime'>,
  requirement: SessionRequirement,
  now: Date,
): UnmetRequirement | undefined {
  if (requirement.aal !== undefined && session.aal < requirement.aal)
    return { code: 'stronger_authentication_required', requirement: { aal: requirement.aal } };
  const ageSeconds = (now.getTime() - Date.parse(session.authTime)) / 1000;
  if (requirement.maxAgeSeconds !== undefined && ageSeconds > requirement.maxAgeSeconds)
    return {
      code: 'reauthentication_required',
      requirement: { max_age: requirement.maxAgeSeconds },
    };
  return undefined;
}
