import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PwnedFakeOptions {
  /**
   * The breach corpus, as plaintext passwords (hashed as given: no normalisation, as the real
   * corpus holds what was leaked), with how often each was seen; a bare string counts 1.
   */
  breached?: ReadonlyMap<string, number> | ReadonlyArray<string | readonly [string, number]>;
  /**
   * Passwords whose hash suffix the fake slips among its padding lines (count 0) when padding is
   * asked for: the collision a random padding suffix could make, made certain.
   */
  paddingCollisions?: readonly string[];
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer this status (and no range) instead of 200. */
  status?: number;
}

export interface PwnedFake {
  url: string;
  /** The paths asked, in order (`/range/21BD1`). */
  requests: string[];
  /** The headers of each request, names in lowercase. */
  headers: Record<string, string>[];
  setDelay(ms: number): void;
  setStatus(code: number): void;
  close(): Promise<void>;
}

/** Uppercase hex SHA-1, as the range API spells hashes. */
export const sha1Hex = (value: string): string =>
  createHash('sha1').update(value, 'utf8').digest('hex').toUpperCase();

const PADDING_LINES = 5;

/**
 * Have I Been Pwned's Pwned Passwords range API at its HTTP boundary, on a loopback port:
 * `GET /range/{5 hex}` answers, as text/plain with CRLF line ends, `SUFFIX:COUNT` for every known
 * hash sharing the prefix; with `Add-Padding: true`, a few more random suffixes with count 0
 * (the real service pads to 800-1,000 lines). A malformed prefix answers 400, as the service does.
 */
export async function startPwnedFake(options: PwnedFakeOptions = {}): Promise<PwnedFake> {
  const corpus = new Map<string, number>();
  const entries =
    options.breached instanceof Map
      ? [...options.breached.entries()]
      : ((options.breached ?? []) as ReadonlyArray<string | readonly [string, number]>).map(
          (entry) => (typeof entry === 'string' ? ([entry, 1] as const) : entry),
        );
  for (const [password, count] of entries) corpus.set(sha1Hex(password), count);
  const collisions = (options.paddingCollisions ?? []).map(sha1Hex);
  let delayMs = options.delayMs ?? 0;
  let status = options.status ?? 200;
  const requests: string[] = [];
  const headers: Record<string, string>[] = [];
  const pending = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    headers.push(
      Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(', ') : (value ?? ''),
        ]),
      ),
    );
    const answer = () => {
      res.setHeader('content-type', 'text/plain');
      const match = /^\/range\/([^/?]*)$/.exec(req.url ?? '');
      if (req.method !== 'GET' || !match) {
        res.writeHead(404).end('Not found');
        return;
      }
      const prefix = (match[1] as string).toUpperCase();
      if (!/^[0-9A-F]{5}$/.test(prefix)) {
        res.writeHead(400).end('The hash prefix was not in a valid format');
        return;
      }
      if (status !== 200) {
        res.writeHead(status).end('Service Unavailable');
        return;
      }
      const lines = [...corpus]
        .filter(([hash]) => hash.startsWith(prefix))
        .map(([hash, count]) => `${hash.slice(5)}:${count}`);
      if (req.headers['add-padding'] === 'true') {
        for (const hash of collisions)
          if (hash.startsWith(prefix)) lines.push(`${hash.slice(5)}:0`);
        for (let i = 0; i < PADDING_LINES; i++)
          lines.push(`${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`);
        lines.sort();
      }
      res.writeHead(200).end(lines.join('\r\n'));
    };
    if (delayMs <= 0) {
      answer();
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (!res.destroyed) answer();
    }, delayMs);
    pending.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    headers,
    setDelay: (ms) => {
      delayMs = ms;
    },
    setStatus: (code) => {
      status = code;
    },
    close: () =>
      new Promise((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
