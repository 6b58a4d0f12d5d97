import type { Request } from 'express';
import type { ActiveSession, SessionStore } from '../sessions/session-store.js';
import { HttpProblem } from './problem.js';

// RFC 6750 §2.1: the b64token syntax; anything else is not a bearer token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The session behind `Authorization: Bearer <token>`, or a 401 problem with the RFC 6750 challenge.
 * An unknown, expired or revoked token answers exactly like a missing one, less the error hint.
 */
export function createBearerSessions(store: SessionStore) {
  return async function bearerSession(req: Request): Promise<ActiveSession> {
    const header = req.get('authorization');
    const token = header?.match(BEARER)?.[1];
    const session = token ? await store.resolve(token) : undefined;
    if (session) return session;
    throw new HttpProblem(
      'session_required',
      {},
      {
        headers: {
          'WWW-Authenticate': header
            ? 'Bearer realm="parcours", error="invalid_token"'
            : 'Bearer realm="parcours"',
        },
      },
    );
  };
}

export type BearerSessions = ReturnType<typeof createBearerSessions>;
