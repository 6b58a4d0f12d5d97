import express from 'express';
import { describe, expect, it } from 'vitest';
import { createDevOutbox } from '../../../src/http/dev-outbox.js';
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

  it('answers a remote client 404, whatever its forwarded headers claim, and reads no mail', async () => {
    let read = false;
    const prisma = {
      outboundMessage: {
        findMany: async () => {
          read = true;
          return [];
        },
      },
    };
    const app = express();
    app.set('trust proxy', true);
    app.use(
      '/dev/outbox',
      createDevOutbox({ prisma: prisma as never, keyring: createKeyring(generateKeySpec()) }),
    );
    app.use(problemHandler({ error: () => {} }));
    const handle = (remoteAddress: string) =>
      new Promise<{ status: number }>((resolve) => {
        const req = Object.assign(Object.create(express.request), {
          method: 'GET',
          url: '/dev/outbox',
          headers: { 'x-forwarded-for': '127.0.0.1', accept: 'application/json' },
          socket: { remoteAddress },
          app,
        });
        const res = Object.assign(Object.create(express.response), { app, req });
        res.end = () => resolve({ status: res.statusCode });
        res.setHeader = () => res;
        res.getHeader = () => undefined;
        (app as unknown as (req: unknown, res: unknown) => void)(req, res);
      });
    expect(await handle('203.0.113.7')).toEqual({ status: 404 });
    expect(read).toBe(false);
    expect(await handle('127.0.0.1')).toEqual({ status: 200 });
    expect(read).toBe(true);
  });
});
