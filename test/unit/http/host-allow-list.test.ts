import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HostAllowList,
  hostAllowList,
  parseAuthority,
} from '../../../src/http/host-allow-list.js';
import { problemHandler } from '../../../src/http/problem.js';

/** An app behind the allow-list that answers 200 to whatever passes it. */
async function serve(allowed: HostAllowList) {
  const app = express();
  // Trusting every proxy would let Express read X-Forwarded-Host: the check must not.
  app.set('trust proxy', true);
  app.use(hostAllowList(allowed));
  app.use((_req, res) => {
    res.json({ served: true });
  });
  app.use(problemHandler({ error: () => {} }));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** The status line's code and the body of a request written byte for byte (Host and all). */
function send(port: number, head: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`${head}\r\n\r\n`));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('error', reject);
    socket.on('end', () =>
      resolve({
        status: Number(answer.slice(9, 12)),
        body: answer.slice(answer.indexOf('\r\n\r\n') + 4),
      }),
    );
  });
}
const get = (port: number, ...headers: string[]) =>
  send(port, ['GET /dev/outbox HTTP/1.1', ...headers, 'Connection: close'].join('\r\n'));

describe('the Host allow-list: the API answers only the names it is published under', () => {
  let loopback: { server: Server; port: number };
  let published: { server: Server; port: number };

  beforeAll(async () => {
    loopback = await serve({
      urls: ['https://id.example.com', 'http://login.example.com:8080'],
      hosts: ['api.internal', 'metrics.internal:9100'],
      loopback: true,
    });
    published = await serve({ urls: ['https://id.example.com'], hosts: [], loopback: false });
  });
  afterAll(() => {
    loopback.server.close();
    published.server.close();
  });

  it('refuses a rebound DNS name 421, the way a page on attacker.example reaching 127.0.0.1 asks (ASVS 5.0 V3.5)', async () => {
    const { port } = loopback;
    const refused = await get(port, `Host: attacker.example:${port}`);
    expect(refused.status).toBe(421);
    expect(JSON.parse(refused.body)).toMatchObject({ status: 421, code: 'misdirected_request' });
    expect(refused.body).not.toContain('attacker');
  });

  it('takes no forwarded host for the real one, however much the proxy is trusted (ASVS 5.0 V4.1.3)', async () => {
    const { port } = loopback;
    for (const forwarded of ['X-Forwarded-Host', 'X-Host', 'Forwarded'])
      expect(
        (await get(port, `Host: attacker.example:${port}`, `${forwarded}: 127.0.0.1:${port}`))
          .status,
        forwarded,
      ).toBe(421);
  });

  it('serves the loopback names on the port the socket listens on, when the API listens on loopback', async () => {
    const { port } = loopback;
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LocalHost:${port}`,
      `[::1]:${port}`,
    ])
      expect((await get(port, `Host: ${host}`)).status, host).toBe(200);
    for (const host of [
      `localhost:${port + 1}`,
      'localhost',
      `127.0.0.2:${port}`,
      `127.0.0.1.attacker.example:${port}`,
    ])
      expect((await get(port, `Host: ${host}`)).status, host).toBe(421);
    // An API listening beyond loopback is not reached by these names (a rebound name's target).
    expect((await get(published.port, `Host: 127.0.0.1:${published.port}`)).status).toBe(421);
  });

  it("serves its public URL's host, in any case, with or without the scheme's default port", async () => {
    for (const { port } of [loopback, published]) {
      for (const host of ['id.example.com', 'ID.Example.COM', 'id.example.com:443'])
        expect((await get(port, `Host: ${host}`)).status, host).toBe(200);
      for (const host of [
        'id.example.com:80',
        'id.example.com:8443',
        'example.com',
        'xid.example.com',
      ])
        expect((await get(port, `Host: ${host}`)).status, host).toBe(421);
    }
    expect((await get(loopback.port, 'Host: login.example.com:8080')).status).toBe(200);
    expect((await get(loopback.port, 'Host: login.example.com')).status).toBe(421);
  });

  it('serves ALLOWED_HOSTS entries: a bare name on any port, host:port on that port only', async () => {
    const { port } = loopback;
    for (const host of ['api.internal', 'api.internal:3000', 'metrics.internal:9100'])
      expect((await get(port, `Host: ${host}`)).status, host).toBe(200);
    expect((await get(port, 'Host: metrics.internal:9101')).status).toBe(421);
  });

  it('refuses a missing, repeated or malformed Host 400 (RFC 9112 §3.2)', async () => {
    const { port } = loopback;
    // HTTP/1.0 may omit Host, and Node lets it through to the app: the app refuses it.
    expect((await send(port, 'GET /dev/outbox HTTP/1.0')).status).toBe(400);
    expect((await get(port, `Host: 127.0.0.1:${port}`, 'Host: attacker.example')).status).toBe(400);
    for (const host of [
      '',
      `127.0.0.1:${port}, attacker.example`,
      'a b',
      'x:99999',
      'user@127.0.0.1',
    ])
      expect((await get(port, `Host: ${host}`)).status, host).toBe(400);
  });

  it('checks the authority of an absolute request-target, which stands for the Host (RFC 9112 §3.2.2)', async () => {
    const { port } = loopback;
    const absolute = (target: string) =>
      send(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close`);
    expect((await absolute(`http://attacker.example:${port}/dev/outbox`)).status).toBe(421);
    expect((await absolute(`http://localhost:${port}/dev/outbox`)).status).toBe(200);
  });

  it('reads host[:port] strictly', () => {
    expect(parseAuthority('Example.COM:0443')).toEqual({ host: 'example.com', port: 443 });
    expect(parseAuthority('[::1]:3000')).toEqual({ host: '[::1]', port: 3000 });
    for (const text of ['', 'a b', 'x:', 'x:65536', '::1', 'http://x', 'x/y', '*'])
      expect(parseAuthority(text), text).toBeUndefined();
  });
});
