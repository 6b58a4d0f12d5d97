import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Addresses no call out to a provider may reach: this machine, its networks, link-local, metadata. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 127],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');

export const isPrivateAddress = (address: string): boolean => {
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isPrivateAddress(mapped);
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
}

/**
 * The DNS lookup every call out uses: an answer naming a private or loopback address fails the
 * connection. Checked at connect time, on the address connected to, so a name that resolves to a
 * public address when asked and to a private one when used (DNS rebinding) is refused all the same.
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as LookupAddress[];
    const refused = list.find((entry) => isPrivateAddress(entry.address));
    if (refused || list.length === 0)
      return callback(
        new RefusedAddressError(`${hostname} resolves to an address calls out may not reach`),
        '',
        0,
      );
    if ((options as { all?: boolean }).all)
      return (callback as never as (e: null, a: LookupAddress[]) => void)(null, list);
    const [first] = list as [LookupAddress];
    callback(null, first.address, first.family);
  });
};

/**
 * `fetch` for the calls to upstream providers (discovery, keys, tokens, userinfo), as
 * openid-client's `customFetch` takes it: https only, through the guarded lookup, no redirect
 * followed. `allowPrivate` (tests, which run their provider on loopback) lets http and private
 * addresses through.
 */
export function guardedFetch(options: { allowPrivate: boolean; timeoutMs?: number }) {
  return async (
    url: string,
    init: {
      method?: string;
      headers?: Record<string, string>;
      body?: unknown;
      signal?: AbortSignal;
    },
  ): Promise<Response> => {
    const target = new URL(url);
    if (options.allowPrivate) return fetch(url, { ...(init as RequestInit), redirect: 'manual' });
    if (target.protocol !== 'https:')
      throw new RefusedAddressError(`${target.origin} is not https`);
    if (
      isIP(target.hostname.replace(/^\[|\]$/g, '')) &&
      isPrivateAddress(target.hostname.replace(/^\[|\]$/g, ''))
    )
      throw new RefusedAddressError(`${target.host} is a private address`);
    const body =
      init.body === undefined || init.body === null
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : init.body instanceof URLSearchParams
            ? init.body.toString()
            : Buffer.from(init.body as ArrayBuffer);
    return new Promise<Response>((resolve, reject) => {
      const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
        target,
        {
          method: init.method ?? 'GET',
          headers: init.headers ?? {},
          lookup: guardedLookup,
          timeout: options.timeoutMs ?? 10_000,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(response.headers))
              for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value])
                headers.append(name, item);
            const status = response.statusCode ?? 502;
            resolve(
              new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), {
                status,
                headers,
              }),
            );
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${target.origin} timed out`)));
      request.on('error', reject);
      request.end(body);
    });
  };
}
