import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { csrfTokens, pageCookies } from '../../../src/http/hosted-pages/page-security.js';
import { createKeyring, generateKeySpec } from '../../../src/security/keyring.js';

/** The Set-Cookie lines an answer would carry. */
function setCookies(
  secure: boolean,
  write: (cookies: ReturnType<typeof pageCookies>, res: Response) => void,
) {
  const lines: string[] = [];
  const res = {
    append: (_name: string, value: string) => lines.push(value),
  } as unknown as Response;
  write(pageCookies(secure), res);
  return lines;
}

describe('the hosted pages’ cookies', () => {
  it('take the __Host- prefix and Secure over https: no sibling domain can plant or read them', () => {
    const [line] = setCookies(true, (cookies, res) =>
      cookies.set(res, 'parcours-session', 'abc', 60),
    );
    expect(line).toBe(
      '__Host-parcours-session=abc; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60',
    );
  });

  it('go without prefix or Secure over plain http (loopback), where a browser would drop them', () => {
    const [line] = setCookies(false, (cookies, res) =>
      cookies.set(res, 'parcours-session', 'abc', 60),
    );
    expect(line).toBe('parcours-session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60');
  });

  it('are read only under their prefixed name when served over https', () => {
    const req = (cookie: string) => ({ get: () => cookie }) as unknown as Request;
    const secure = pageCookies(true);
    expect(secure.read(req('parcours-session=planted'), 'parcours-session')).toBeUndefined();
    expect(secure.read(req('a=1; __Host-parcours-session=mine'), 'parcours-session')).toBe('mine');
  });
});

describe('the hosted pages’ CSRF tokens (ASVS 5.0 V3.5.1)', () => {
  const spec = generateKeySpec('old');
  const csrf = csrfTokens(createKeyring(spec));

  it('fit only the purpose and the cookie they were issued for', () => {
    const token = csrf.issue('flow:jrn_a', 'token-a');
    expect(csrf.verify('flow:jrn_a', 'token-a', token)).toBe(true);
    expect(csrf.verify('flow:jrn_b', 'token-a', token)).toBe(false);
    expect(csrf.verify('flow:jrn_a', 'token-b', token)).toBe(false);
    expect(csrf.verify('flow:jrn_a', 'token-a', undefined)).toBe(false);
    expect(csrf.verify('flow:jrn_a', 'token-a', [token])).toBe(false);
  });

  it('issued before a key rotation still verify after it', () => {
    const token = csrf.issue('sign-out', 'session');
    const rotated = csrfTokens(createKeyring(`${generateKeySpec('new')},${spec}`));
    expect(rotated.verify('sign-out', 'session', token)).toBe(true);
    expect(rotated.issue('sign-out', 'session')).not.toBe(token);
  });
});
