import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../security/keyring.js';
import type { SessionGrant, SessionRef } from './session-ref.js';

/** What a grant binds a session reference to, besides the reference itself. */
export type GrantClaims = Omit<SessionGrant, 'mac'>;

/**
 * One canonical text of everything a grant vouches for: the reference (every field, its factors'
 * times in a fixed order) and the claims. JSON of an array, so no field can bleed into another.
 */
function signedText(session: Omit<SessionRef, 'grant'>, claims: GrantClaims): string {
  return JSON.stringify([
    'parcours/session-grant/v1',
    claims.run,
    claims.journey,
    claims.notAfter,
    claims.demand.aal ?? null,
    claims.demand.accountAal ?? false,
    claims.demand.maxAgeSeconds ?? null,
    session.id,
    session.userId,
    session.aal,
    session.amr,
    session.authTime,
    Object.entries(session.factorAuthTimes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
}

/**
 * Session grants: the API signs the session reference it hands a run, bound to that run and journey
 * and to the run's lifetime; the worker verifies it before acting for the customer. The key is the
 * keyring's, which only the API and the worker hold: whoever can put arguments into Temporal (a
 * codec encoder, a process on the Temporal port) cannot make one (trust boundary 1, docs/security.md).
 */
export function createSessionGrants(keyring: Keyring) {
  const keys = keyring.derive('session-grant');
  const macOf = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

  return {
    sign(session: SessionRef, claims: GrantClaims): SessionRef {
      const { grant: _, ...reference } = session;
      const mac = macOf(keys.active, signedText(reference, claims)).toString('base64url');
      return { ...reference, grant: { ...claims, mac: `${keys.activeKid}.${mac}` } };
    },

    /** The grant's claims if its MAC holds under a key of the keyring; else undefined. */
    verify(session: SessionRef): GrantClaims | undefined {
      const { grant, ...reference } = session;
      if (!grant || typeof grant.mac !== 'string') return undefined;
      const { mac, ...claims } = grant;
      const dot = mac.indexOf('.');
      const key = dot > 0 ? keys.key(mac.slice(0, dot)) : undefined;
      if (!key) return undefined;
      const given = Buffer.from(mac.slice(dot + 1), 'base64url');
      const expected = macOf(key, signedText(reference, claims));
      return given.length === expected.length && timingSafeEqual(given, expected)
        ? claims
        : undefined;
    },
  };
}

export type SessionGrants = ReturnType<typeof createSessionGrants>;
