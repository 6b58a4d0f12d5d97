/**
 * A browser as far as redirects and cookies go: follows nothing by itself (each hop is the test's
 * to look at), keeps the cookies each answer sets, and sends them back to the same origin.
 */
export function browserJar() {
  const cookies = new Map<string, string>();
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (!pair || at < 1) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      // An expired cookie is the server removing it.
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
  };
  const cookieHeader = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  return {
    cookies,
    async fetch(url: string, init: RequestInit = {}): Promise<Response> {
      const response = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader() },
      });
      keep(response);
      return response;
    },
    /**
     * Follows redirects (resolving relative ones) until one leads to `stopAt` (answered as that
     * URL, not fetched) or an answer is no redirect (answered with the URL it came from).
     */
    async follow(url: string, stopAt: string): Promise<{ url: string; response?: Response }> {
      let next = url;
      for (let hop = 0; hop < 10; hop += 1) {
        if (next.startsWith(stopAt)) return { url: next };
        const response = await this.fetch(next);
        const location = response.headers.get('location');
        if (!location || response.status < 300 || response.status >= 400)
          return { url: next, response };
        next = new URL(location, next).href;
      }
      throw new Error('too many redirects');
    },
  };
}
