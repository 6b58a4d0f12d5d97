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
