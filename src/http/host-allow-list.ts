import type { Request, RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

/** The names a request may address the API by (its `Host`), as the configuration gives them. */
export interface HostAllowList {
  /** Absolute URLs the API is reached at (its public URL, the WebAuthn origins): their host and port. */
  urls: readonly string[];
  /** More names (ALLOWED_HOSTS): `host:port`, or `host` on any port. */
  hosts: readonly string[];
  /** The API listens on loopback: `localhost`, `127.0.0.1` and `[::1]` on the port it listens on. */
  loopback: boolean;
}

/** A host and its port as a request names them (lower-case; IPv6 in brackets). */
export interface Authority {
  host: string;
  port?: number;
}

// RFC 3986 §3.2.2, as a DNS name or an IP address is written: letters, digits, '-' and '.', or an
// IPv6 literal in brackets; then an optional port. Anything else names no host we could serve.
const AUTHORITY = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::([0-9]{1,5}))?$/;

/** `host[:port]` read strictly, or undefined: the port a number up to 65535, the host lower-cased. */
export function parseAuthority(text: string): Authority | undefined {
  const [, host, port] = AUTHORITY.exec(text.trim().toLowerCase()) ?? [];
  if (!host || (port !== undefined && Number(port) > 65535)) return undefined;
  return port === undefined ? { host } : { host, port: Number(port) };
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
const key = (host: string, port?: number) => (port === undefined ? host : `${host}:${port}`);

/** How a URL's authority may be written: with its port, and bare when the port is the scheme's. */
function authoritiesOf(url: string): string[] {
  const { protocol, hostname, port } = new URL(url);
  const defaultPort = DEFAULT_PORTS[protocol];
  if (port) return [key(hostname, Number(port))];
  return [hostname, key(hostname, defaultPort)];
}

/**
 * The authority a request addresses: its request-target's, when that is absolute (RFC 9112
 * §3.2.2), else its one Host header. Never X-Forwarded-Host, which is the client's word (ASVS 5.0
 * V4.1.3).
 */
function requestedAuthority(req: Request): Authority | undefined {
  if (!req.originalUrl.startsWith('/') && req.originalUrl !== '*') {
    const target = URL.canParse(req.originalUrl) ? new URL(req.originalUrl) : undefined;
    return target && Object.hasOwn(DEFAULT_PORTS, target.protocol)
      ? { host: target.hostname, port: Number(target.port) || DEFAULT_PORTS[target.protocol] }
      : undefined;
  }
  const hostFields = req.rawHeaders.filter(
    (name, at) => at % 2 === 0 && name.toLowerCase() === 'host',
  ).length;
  const host = req.headers.host;
  return hostFields === 1 && host ? parseAuthority(host) : undefined;
}

/**
 * Answers only requests addressed to a name the API is published under; others are refused
 * before any route: 421 for a name it does not serve, 400 for a missing, repeated or malformed
 * Host (RFC 9112 §3.2). A page on a rebound DNS name (`attacker.example` resolving to 127.0.0.1)
 * reaches this server but names the attacker's host, so it reads nothing (ASVS 5.0 V3.5, browser
 * origin separation: to the browser that page is the attacker's own origin).
 */
export function hostAllowList(allowed: HostAllowList): RequestHandler {
  const exact = new Set(allowed.urls.flatMap(authoritiesOf));
  const anyPort = new Set<string>();
  for (const entry of allowed.hosts) {
    const authority = parseAuthority(entry);
    if (!authority) throw new Error(`not a host[:port]: ${entry}`);
    if (authority.port === undefined) anyPort.add(authority.host);
    else exact.add(key(authority.host, authority.port));
  }
  return (req, _res, next) => {
    const named = requestedAuthority(req);
    if (!named)
      return next(
        new HttpProblem('bad_request', {}, { title: 'The Host header is missing or malformed' }),
      );
    // Loopback names only with the port this socket was accepted on (tests listen on port 0).
    const localPort = req.socket.localPort;
    const onLoopback =
      allowed.loopback && LOOPBACK_NAMES.has(named.host) && (named.port ?? 80) === localPort;
    const served = exact.has(key(named.host, named.port)) || anyPort.has(named.host) || onLoopback;
    next(served ? undefined : new HttpProblem('misdirected_request'));
  };
}
