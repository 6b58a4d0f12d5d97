import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';
import type { Answer } from './http.js';

/** An answer as it came off the wire: for byte-for-byte comparisons and non-JSON bodies. */
export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export async function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  const response = await fetch(`${baseUrl}${path}`, { method, ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Asserts an RFC 9457 problem: the media type, the four members every problem carries, and its status and code. */
export function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.contentType).toMatch(/^application\/problem\+json\b/);
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    code,
  });
}

/**
 * A request to `baseUrl` naming another host in its Host header, as a page on a rebound DNS name
 * sends it (fetch names the URL's own host). The answer's body as JSON when it is JSON.
 */
export function requestNaming(
  host: string,
  baseUrl: string,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, baseUrl), {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
        host,
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        const contentType = res.headers['content-type'] ?? '';
        const headers = new Headers(
          Object.entries(res.headers).flatMap(([name, value]) =>
            value === undefined ? [] : [[name, String(value)] as [string, string]],
          ),
        );
        resolve({
          status: res.statusCode ?? 0,
          headers,
          contentType,
          body: /json/.test(contentType) ? JSON.parse(text) : text,
        });
      });
    });
    req.end(body);
  });
}
