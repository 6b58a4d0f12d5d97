import type { PublicView } from '../../src/http/public-view.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read answer bodies of every shape
export interface Answer<T = any> {
  status: number;
  headers: Headers;
  contentType: string;
  body: T;
}

/** Drives the step API as an app would: start, then submit each step with the journey token. */
export function stepApiClient(baseUrl: string) {
  async function call(
    method: string,
    path: string,
    init: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    };
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      contentType: response.headers.get('content-type') ?? '',
      body: text ? JSON.parse(text) : undefined,
    };
  }
  return {
    call,
    start: (journey = 'registration', version?: number) =>
      call(
        'POST',
        `/v1/journeys/${version === undefined ? journey : `${journey}@${version}`}/start`,
      ) as Promise<Answer<PublicView & { token: string }>>,
    get: (id: string, token: string) =>
      call('GET', `/v1/journeys/${id}`, { headers: { 'journey-token': token } }),
    submit: (id: string, token: string, step: string, body: unknown) =>
      call('POST', `/v1/journeys/${id}/steps/${step}`, {
        body,
        headers: { 'journey-token': token },
      }),
  };
}

/** The six-digit code in a verification email's text. */
export function codeIn(text: string): string {
  const match = /\b(\d{6})\b/.exec(text);
  if (!match?.[1]) throw new Error(`no code in: ${text}`);
  return match[1];
}
