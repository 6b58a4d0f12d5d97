import type { Request } from 'express';
import type { AppRegistry, RegisteredApp } from '../apps/app-registry.js';
import { HttpProblem } from './problem.js';

/**
 * RFC 6749 §2.3.1: client credentials in HTTP Basic, the id and the secret each form-urlencoded
 * (`+` a space) before they were joined and base64-encoded.
 */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const [, credentials] = header?.match(/^Basic +([A-Za-z0-9+/]+=*)$/i) ?? [];
  if (!credentials) return undefined;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  const formDecoded = (part: string) => {
    try {
      return decodeURIComponent(part.replaceAll('+', ' '));
    } catch {
      return undefined;
    }
  };
  const id = formDecoded(decoded.slice(0, colon));
  const secret = formDecoded(decoded.slice(colon + 1));
  return id && secret ? { id, secret } : undefined;
}

/**
 * The registered app behind a request's client credentials, or 401 with the Basic challenge
 * (RFC 6749 §5.2 `invalid_client`). An unknown id, a wrong secret and none at all answer alike.
 */
export function createClientAuthentication(apps: Pick<AppRegistry, 'authenticate'>) {
  return async function authenticatedApp(req: Request): Promise<RegisteredApp> {
    const credentials = basicCredentials(req.get('authorization'));
    const app = credentials && (await apps.authenticate(credentials.id, credentials.secret));
    if (app) return app;
    throw new HttpProblem(
      'client_authentication_failed',
      {},
      { headers: { 'WWW-Authenticate': 'Basic realm="parcours-apps", charset="UTF-8"' } },
    );
  };
}
