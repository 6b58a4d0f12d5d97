import { jwtVerify, SignJWT } from 'jose';
import type { Keyring } from '../security/keyring.js';

export interface JourneyClaims {
  id: string;
  journey: string;
  version: number;
}

/**
 * The journey token binds a run to the client that started it: an HMAC-signed JWS naming the run
 * and its definition, so the step API checks it without a lookup. Returned once, at start.
 */
export function createJourneyTokens(keyring: Keyring) {
  const keys = keyring.derive('journey-token');
  return {
    sign(claims: JourneyClaims): Promise<string> {
      return new SignJWT({ jrn: claims.journey, ver: claims.version })
        .setProtectedHeader({ alg: 'HS256', kid: keys.activeKid })
        .setSubject(claims.id)
        .setIssuedAt()
        .sign(keys.active);
    },
    /** The claims of a valid token for this run id; undefined for anything else. */
    async verify(token: string | undefined, id: string): Promise<JourneyClaims | undefined> {
      if (!token) return undefined;
      try {
        const keyFor = (header: { kid?: string }) => {
          const key = keys.key(header.kid ?? '');
          if (!key) throw new Error('unknown key id');
          return key;
        };
        const { payload } = await jwtVerify(token, keyFor, {
          algorithms: ['HS256'],
          subject: id,
        });
        if (typeof payload.jrn !== 'string' || typeof payload.ver !== 'number') return undefined;
        return { id, journey: payload.jrn, version: payload.ver };
      } catch {
        return undefined;
      }
    },
  };
}
