import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Response } from 'express';
import type { Keyring } from '../../security/keyring.js';

/**
 * The cookies of the hosted pages. Served over https, their names take the `__Host-` prefix: the
 * browser then keeps them only if `Secure`, for this host alone and path `/`, so no sibling domain
 * can plant or shadow them. Over plain http (loopback, where no `Secure` cookie can be set) they go
 * without prefix or `Secure`. `SameSite=Lax` and `HttpOnly` always.
 */
export function pageCookies(secure: boolean) {
  const prefix = secure ? '__Host-' : '';
  const attributes = (maxAgeSeconds: number) =>
    [
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      ...(secure ? ['Secure'] : []),
      `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ].join('; ');
  return {
    name: (name: string) => `${prefix}${name}`,
    /** The request's cookie `name`, if it has one (a malformed value counts as none). */
    read(req: { get(field: 'cookie'): unknown }, name: string): string | undefined {
      const wanted = `${prefix}${name}`;
      const header = req.get('cookie');
      for (const part of (typeof header === 'string' ? header : '').split(';')) {
        const at = part.indexOf('=');
        if (at < 0 || part.slice(0, at).trim() !== wanted) continue;
        try {
          return decodeURIComponent(part.slice(at + 1).trim());
        } catch {
          return undefined;
        }
      }
      return undefined;
    },
    set(res: Response, name: string, value: string, maxAgeSeconds: number) {
      res.append(
        'Set-Cookie',
        `${prefix}${name}=${encodeURIComponent(value)}; ${attributes(maxAgeSeconds)}`,
      );
    },
    clear(res: Response, name: string) {
      res.append('Set-Cookie', `${prefix}${name}=; ${attributes(0)}`);
    },
  };
}

export type PageCookies = ReturnType<typeof pageCookies>;

/**
 * CSRF tokens (ASVS 5.0 V3.5.1): an HMAC, under a key of the keyring, of what the form acts on and
 * of the cookie that lets it act (the run's token, the session's). A cross-site page can make the
 * browser send the cookie, but cannot read it nor compute the token; the token of one flow or
 * session fits no other. Every key of the keyring verifies, so a rotation breaks no open page.
 */
export function csrfTokens(keyring: Keyring) {
  const keys = keyring.derive('hosted-pages-csrf');
  const mac = (key: Buffer, purpose: string, secret: string) =>
    createHmac('sha256', key).update(`${purpose}\n${secret}`).digest();
  return {
    issue: (purpose: string, secret: string) =>
      mac(keys.active, purpose, secret).toString('base64url'),
    verify(purpose: string, secret: string, token: unknown): boolean {
      if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
      const given = Buffer.from(token, 'base64url');
      return keys.kids.some((kid) => {
        const key = keys.key(kid);
        return key !== undefined && timingSafeEqual(mac(key, purpose, secret), given);
      });
    },
  };
}

export type CsrfTokens = ReturnType<typeof csrfTokens>;

/**
 * The pages' headers: a strict CSP (scripts and styles from this server only, no inline script, no
 * framing: ASVS 5.0 V3.4.3, V3.4.6), forms posted only here and, where a flow ends on an app, to
 * that app's origins; no cache keeps a page, no referrer leaves it.
 */
export function pageHeaders(res: Response, options: { formTargets?: string[]; images?: string[] }) {
  res.set({
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src 'self' data:${(options.images ?? []).map((origin) => ` ${origin}`).join('')}`,
      "connect-src 'self'",
      `form-action 'self'${(options.formTargets ?? []).map((origin) => ` ${origin}`).join('')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
}
