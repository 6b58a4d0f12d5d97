import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Keyring } from '../security/keyring.js';

export interface JourneyClaims {
  id: string;
  journey: string;
  version: number;
  /** The token's lifetime ran out: the run may no longer be driven (it answers `expired`). */
  expired?: boolean;
}

/**
 * The journey token binds a run to the client that started it: an HMAC-signed JWS naming the run
 * and its definition, so the step API checks it without a lookup. Returned once, at start.
 */
export function createJourneyTokens(keyring: Keyring) {
  const keys = keyring.derive('journey-token');
  // jose would import raw key bytes into a WebCrypto key on every call (a fifth of the API's crypto
  // time, profiled): import each key once.
  const imported = new Map<string, KeyObject>();
  const keyObject = (kid: string): KeyObject | undefined => {
    const raw = keys.key(kid);
    if (!raw) return undefined;
    if (!imported.has(kid)) imported.set(kid, createSecretKey(raw));
    return imported.get(kid);
  };
  return {
    /**
     * A token for a run, good for `lifetimeMs` (the journey's lifetime). Tokens signed before
     * tokens expired carry no `exp`: they stay good, bounded by their run's own timeouts.
     */
    sign(claims: JourneyClaims, lifetimeMs: number): Promise<string> {
      return new SignJWT({ jrn: claims.journey, ver: claims.version })
        .setProtectedHeader({ alg: 'HS256', kid: keys.activeKid })
        .setSubject(claims.id)
        .setIssuedAt()
        .setExpirationTime(Math.floor((Date.now() + lifetimeMs) / 1000))
        .sign(keyObject(keys.activeKid) as KeyObject);
    },
    /** The claims of a valid token for this run id; undefined for anything else. */
    async verify(token: string | undefined, id: string): Promise<JourneyClaims | undefined> {
      if (!token) return undefined;
      try {
        const keyFor = (header: { kid?: string }) => {
          const key = keyObject(header.kid ?? '');
          if (!key) throw new Error('unknown key id');
          return key;
        };
        const { payload } = await jwtVerify(token, keyFor, {
          algorithms: ['HS256'],
          subject: id,
        });
        return claimsOf(payload, id, false);
      } catch (error) {
        // Expired is reported only once the signature and the run id checked out (jose checks
        // claims after the signature): anything else answers like an unknown id.
        if (error instanceof errors.JWTExpired && error.payload.sub === id)
          return claimsOf(error.payload, id, true);
        return undefined;
      }
    },
  };
}

function claimsOf(
  payload: Record<string, unknown>,
  id: string,
  expired: boolean,
): JourneyClaims | undefined {
  if (typeof payload.jrn !== 'string' || typeof payload.ver !== 'number') return undefined;
  return { id, journey: payload.jrn, version: payload.ver, ...(expired ? { expired } : {}) };
}
