import express from 'express';
import { describe, expect, it } from 'vitest';
import { createDevOutbox } from '../../../src/http/dev-outbox.js';
import { hostAllowList } from '../../../src/http/host-allow-list.js';
import { isLoopback } from '../../../src/http/network-addresses.js';
import { problemHandler } from '../../../src/http/problem.js';
import { createKeyring, generateKeySpec } from '../../../src/security/keyring.js';

describe('the dev outbox serves this machine only', () => {
  it('knows loopback addresses, IPv4 written as IPv6 included, and nothing else', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])
      expect(isLoopback(address), address).toBe(true);
    for (const address of [
      '10.0.0.5',
      '::ffff:10.0.0.5',
      '0.0.0.0',
      '::',
      '128.0.0.1',
      '',
      undefined,
    ])
      expect(isLoopback(address), String(address)).toBe(false);
  });

  /** The outbox behind the Host check, as app.ts mounts it, and whether it read any mail. */
  function outboxApp() {
    const seen = { read: false };
    const prisma = {
      outboundMessage: {
        findMany: async () => {
          seen.read = true;
          return [];
        },
      },
    };
    const app = express();
    app.set('trust proxy', true);
    app.use(hostAllowList({ urls: [], hosts: [], loopback: true }));
    app.use(
      '/dev/outbox',
      createDevOutbox({ prisma: prisma as never, keyring: createKeyring(generateKeySpec()) }),
    );
    app.use(problemHandler({ error: () => {} }));
    const handle = (remoteAddress: string, host = '127.0.0.1:3000') =>
      new Promise<{ status: number }>((resolve) => {
        const headers = { host, 'x-forwarded-for': '127.0.0.1', accept: 'application/json' };
        const req = Object.assign(Object.create(express.request), {
          method: 'GET',
          url: '/dev/outbox',
          headers,
          rawHeaders: Object.entries(headers).flat(),
          socket: { remoteAddress, localPort: 3000 },
          app,
        });
        const res = Object.assign(Object.create(express.response), { app, req });
        res.end = () => resolve({ status: res.statusCode });
        res.setHeader = () => res;
        res.getHeader = () => undefined;
        (app as unknown as (req: unknown, res: unknown) => void)(req, res);
      });
    return { seen, handle };
  }

  it('answers a remote client 404, whatever its forwarded headers claim, and reads no mail', async () => {
    const { seen, handle } = outboxApp();
    expect(await handle('203.0.113.7')).toEqual({ status: 404 });
    expect(seen.read).toBe(false);
    expect(await handle('127.0.0.1')).toEqual({ status: 200 });
    expect(seen.read).toBe(true);
  });

  it('answers a page on a rebound DNS name in this machine’s browser 421, and reads no mail (ASVS 5.0 V3.5)', async () => {
    const { seen, handle } = outboxApp();
    expect(await handle('127.0.0.1', 'attacker.example:3000')).toEqual({ status: 421 });
    expect(seen.read).toBe(false);
  });
});
