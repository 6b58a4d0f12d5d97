import { createServer } from 'node:net';
import type { browserJar } from './browser-jar.js';

type Browser = ReturnType<typeof browserJar>;

/** What a browser asking for pages sends. */
export const HTML = { accept: 'text/html,application/xhtml+xml' };

/** One form of a page: where it posts and the values it would send as it stands. */
export interface PageForm {
  action: string;
  values: Record<string, string>;
}

/** The forms of a page, each with its hidden and prefilled values (enough for server-drawn HTML). */
export function formsOf(html: string): PageForm[] {
  return [...html.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].map(
    ([, action, body]) => ({
      action: action as string,
      values: Object.fromEntries(
        [...(body as string).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(
          ([, name, value]) => [name as string, (value as string).replaceAll('&#x3D;', '=')],
        ),
      ),
    }),
  );
}

/** A page's `<h1>`. */
export const heading = (html: string) => html.match(/<h1>([^<]*)<\/h1>/)?.[1];

/**
 * Follows redirects as a browser asking for pages does (across servers), until one leads to
 * `stopAt` (answered, not fetched) or an answer that stays; a page that asks to be looked at again
 * (`Refresh`, a run between steps) is.
 */
export async function followPages(jar: Browser, url: string, stopAt = 'https://') {
  let next = url;
  for (let hop = 0; hop < 20; hop += 1) {
    if (next.startsWith(stopAt)) return { url: next };
    const response = await jar.fetch(next, { headers: HTML });
    const location = response.headers.get('location');
    if (response.status === 200 && response.headers.get('refresh')) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    if (!location || response.status < 300 || response.status >= 400)
      return { url: next, response };
    next = new URL(location, next).href;
  }
  throw new Error('too many redirects');
}

/** A port free on loopback now, so what needs the API's address can be configured before it starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A browser on the pages of the server at `base()` (read when called: the server starts later):
 * `open` a page after its redirects, `post` one of its forms with more fields and follow where it
 * leads; each answers the page, its HTML and its forms.
 */
export function pagesOf(base: () => string) {
  async function open(jar: Browser, path: string) {
    const reached = await followPages(jar, new URL(path, base()).href);
    const response = reached.response as Response;
    const html = await response.text();
    return { url: reached.url, response, html, forms: formsOf(html) };
  }

  async function post(jar: Browser, form: PageForm, fields: Record<string, string> = {}) {
    const response = await jar.fetch(new URL(form.action, base()).href, {
      method: 'POST',
      headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form.values, ...fields }).toString(),
    });
    const location = response.headers.get('location');
    if (location && response.status === 303) return open(jar, location);
    const html = await response.text();
    return { url: form.action, response, html, forms: formsOf(html) };
  }

  return { open, post };
}
