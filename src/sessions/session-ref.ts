// What a run knows of the session it acts for: types only, shared by the API, the journey kit, the
// activities and the session store (and safe in Temporal's sandbox).

/**
 * What a journey that acts on a signed-in customer demands of the session it starts from, in the
 * terms of OpenID Connect: `maxAgeSeconds` (max_age: the last authentication at most this old)
 * and `aal` (the least assurance level).
 */
export interface SessionRequirement {
  maxAgeSeconds?: number;
  aal?: 1 | 2 | 3;
  /**
   * The highest level the account can reach: aal 2 once it has a TOTP key or a passkey (NIST SP
   * 800-63B-4 §4.1.2), for journeys that change how the account authenticates or where its mail
   * goes: a password alone must not add or replace what stands behind it.
   */
  accountAal?: true;
}

/**
 * The session a run started from, as the API resolved it from the bearer token: a reference (its
 * id and what it proves), never the token.
 */
export interface SessionRef {
  id: string;
  userId: string;
  aal: number;
  amr: string[];
  authTime: string;
  /** When each factor (RFC 8176 amr value) was last proven in this session. */
  factorAuthTimes: Record<string, string>;
  /**
   * The API's proof that it gave this reference to this run (src/sessions/session-grant.ts): the
   * worker checks it, and the session itself, before any change for the customer. Journeys pass
   * the reference on as they received it, and never read this.
   */
  grant?: SessionGrant;
}

/** What the API vouches for when it hands a run a session: checked by the worker, never trusted from the run's arguments alone. */
export interface SessionGrant {
  /** The run (workflow id) the reference was given to. */
  run: string;
  /** `journey@version` the run was started as. */
  journey: string;
  /** After this, the reference proves nothing (the run's lifetime). */
  notAfter: string;
  /** What the journey demanded of the session when it started: activities hold it to that again. */
  demand: SessionRequirement;
  /** `kid.HMAC-SHA256` over all of the above and the session reference, under a key of the keyring. */
  mac: string;
}
