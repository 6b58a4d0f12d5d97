import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stepApiRateLimit } from '../../../src/http/rate-limit.js';

let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  // One trusted proxy hop: X-Forwarded-For names the client, as behind a load balancer.
  const app = express();
  app.set('trust proxy', 1);
  app.use(...stepApiRateLimit({ writesPerMinute: 2, readsPerMinute: 100 }));
  app.post('/', (_req, res) => {
    res.status(201).end();
  });
  app.use(((_error, _req, res, _next) => {
    res.status(429).end();
  }) as express.ErrorRequestHandler);
  const server = createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close?.());

const writesFrom = async (addresses: string[]) => {
  const statuses = [];
  for (const address of addresses)
    statuses.push(
      (await fetch(url, { method: 'POST', headers: { 'x-forwarded-for': address } })).status,
    );
  return statuses;
};

it('counts every address of one IPv6 /56 as one client, as every per-requester limit does (ASVS 5.0 V2.4.1)', async () => {
  // Another /64 each time, all inside 2001:db8:7::/56; then the next /56.
  expect(await writesFrom(['2001:db8:7:1::1', '2001:db8:7:2::2', '2001:db8:7:ff::3'])).toEqual([
    201, 201, 429,
  ]);
  expect(await writesFrom(['2001:db8:7:100::1'])).toEqual([201]);
});

it('counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
  expect(await writesFrom(['198.51.100.77', '::ffff:198.51.100.77', '198.51.100.77'])).toEqual([
    201, 201, 429,
  ]);
});
