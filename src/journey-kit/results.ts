import type { ContinueWith, IssuedSession } from '../activities/sessions/sessions.js';

/**
 * How a journey ends, for the app that drove it, as the completed view's `result`:
 * - `session`: a new session (its token shown once, in this view);
 * - `session_raised`: the same session, at a higher assurance level, its token rotated;
 * - `login`: what an OpenID Connect provider needs to issue an ID token for the sign-in;
 * - `none`: the journey changed something (an address, a consent) and opened nothing;
 * - `scheduled`: the journey will do it at `at` (a factor reset after its waiting period).
 */
export type JourneyResult =
  | {
      type: 'session';
      user: { id: string };
      session: IssuedSession;
      /** What the app must have the customer do next with this session (a policy's demand). */
      required?: RequiredAction;
      /**
       * What the app should run next with this session, as Kratos' `continue_with`: progressive
       * profiling when the app's policy finds questions to ask. The customer may skip it.
       */
      continue_with?: ContinueWithAction[];
    }
  | { type: 'session_raised'; session: IssuedSession }
  | { type: 'login'; login: LoginResult }
  | { type: 'none' }
  | { type: 'scheduled'; at: string };

/**
 * A journey the app must run next with the new session: `mfa-enrolment` when the deployment
 * requires a second factor and the account has none (the session stays at aal 1 until then).
 */
export interface RequiredAction {
  journey: string;
  reason: string;
}

/** A journey to run next: where it starts and with what body (the session as its bearer). */
export interface ContinueWithAction {
  action: 'run_journey';
  journey: string;
  start: { method: 'POST'; href: string; body: Record<string, unknown> };
}

/** OIDC Core §2: the claims a provider puts in the ID token for this authentication. */
export interface LoginResult {
  /** The account (`sub`). */
  account: string;
  acr: string;
  /** RFC 8176 methods. */
  amr: string[];
  /** Seconds since the epoch. */
  auth_time: number;
}

/** A journey to run next, as a view's `continue_with` names it (and the OIDC interaction's refusal). */
export const continueAction = (next: ContinueWith): ContinueWithAction => ({
  action: 'run_journey',
  journey: next.journey,
  start: { method: 'POST', href: `/v1/journeys/${next.journey}/start`, body: next.start },
});

/** The journey results, for a final state's `output`. */
export const results = {
  newSession: (
    user: { id: string },
    { continueWith, ...session }: IssuedSession,
    required?: RequiredAction,
  ): JourneyResult => ({
    type: 'session',
    user,
    session,
    ...(required ? { required } : {}),
    // An enrolment a policy requires comes first; profiling waits for a later sign-in.
    ...(continueWith && !required ? { continue_with: [continueAction(continueWith)] } : {}),
  }),
  raisedSession: (session: IssuedSession): JourneyResult => ({ type: 'session_raised', session }),
  login: (login: LoginResult): JourneyResult => ({ type: 'login', login }),
  none: (): JourneyResult => ({ type: 'none' }),
  scheduled: (at: string): JourneyResult => ({ type: 'scheduled', at }),
};
