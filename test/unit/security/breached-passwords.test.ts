import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBreachedPasswordCheck } from '../../../src/security/breached-passwords.js';
import { type PwnedFake, sha1Hex, startPwnedFake } from '../../support/pwned-fake.js';

const UNAVAILABLE = 'breached-password check unavailable: password accepted';

// The corpus the fake serves. Their SHA-1 prefixes all hold a letter, so a prefix found in a log
// line cannot be a port number or a line number by chance.
const LEAKED = 'password123';
const LEAKED_COUNT = 2_547_709;
const OTHER_LEAKED = 'letmein!2019';
const FRESH = 'tangerine kayak whispers over basalt';
// NFKC folds full-width forms to ASCII: this is LEAKED typed on a full-width keyboard layout.
const LEAKED_FULL_WIDTH = 'ｐａｓｓｗｏｒｄ１２３';
// Its suffix is served only as padding (count 0), as a random padding suffix could collide.
const PADDED = 'mauve lighthouse counts pebbles';

/** A real pino logger writing into an array, its `warn` spied on. */
function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const warn = vi.spyOn(log, 'warn');
  return { log, lines, warn };
}

/** One warn line, the agreed message, and neither the password, its hash nor its prefix in it. */
function expectOneWarning(capture: ReturnType<typeof captureLog>, password: string) {
  expect(capture.warn).toHaveBeenCalledOnce();
  expect(capture.lines).toHaveLength(1);
  const [line] = capture.lines;
  expect(line).toMatchObject({ level: 40, msg: UNAVAILABLE });
  const text = JSON.stringify(line);
  const hash = sha1Hex(password.normalize('NFKC'));
  expect(text).not.toContain(password);
  expect(text).not.toContain(hash.slice(0, 5));
  expect(text.toUpperCase()).not.toContain(hash.slice(5, 15));
  return line as Record<string, unknown>;
}

describe('breached-password check (NIST SP 800-63B §5.1.1.2, ASVS 2.1.7)', () => {
  let fake: PwnedFake;
  beforeAll(async () => {
    fake = await startPwnedFake({
      breached: [
        [LEAKED, LEAKED_COUNT],
        [OTHER_LEAKED, 3],
      ],
      paddingCollisions: [PADDED],
    });
  });
  afterAll(() => fake.close());
  afterEach(() => {
    fake.setDelay(0);
    fake.setStatus(200);
  });

  it('the chosen passwords have lettered prefixes, so the log assertions mean something', () => {
    for (const pw of [LEAKED, OTHER_LEAKED, FRESH, PADDED])
      expect(sha1Hex(pw).slice(0, 5)).toMatch(/[A-F]/);
  });

  describe('compares new passwords against the breach corpus (NIST SP 800-63B §5.1.1.2)', () => {
    it('answers breached, with its count, for a password in the corpus', async () => {
      const capture = captureLog();
      const check = createBreachedPasswordCheck({ url: fake.url, log: capture.log });
      expect(await check.check(LEAKED)).toEqual({ breached: true, count: LEAKED_COUNT });
      expect(await check.check(OTHER_LEAKED)).toEqual({ breached: true, count: 3 });
      expect(capture.warn).not.toHaveBeenCalled();
    });

    it('answers not breached for a password the corpus does not hold', async () => {
      const capture = captureLog();
      const check = createBreachedPasswordCheck({ url: fake.url, log: capture.log });
      expect(await check.check(FRESH)).toEqual({ breached: false });
      expect(capture.warn).not.toHaveBeenCalled();
    });

    it('never counts a padding entry (count 0) as a breach, even one matching the suffix', async () => {
      const { prefix, suffix } = {
        prefix: sha1Hex(PADDED).slice(0, 5),
        suffix: sha1Hex(PADDED).slice(5),
      };
      // The fake does serve the password's own suffix, as padding.
      const padded = await fetch(`${fake.url}/range/${prefix}`, {
        headers: { 'Add-Padding': 'true' },
      }).then((response) => response.text());
      expect(padded.split('\r\n')).toContain(`${suffix}:0`);

      const capture = captureLog();
      const check = createBreachedPasswordCheck({ url: fake.url, log: capture.log });
      expect(await check.check(PADDED)).toEqual({ breached: false });
      expect(capture.warn).not.toHaveBeenCalled();
    });

    it('checks the NFKC form: a password typed in full-width letters is the breached one', async () => {
      expect(LEAKED_FULL_WIDTH).not.toBe(LEAKED);
      const check = createBreachedPasswordCheck({ url: fake.url, log: captureLog().log });
      const before = fake.requests.length;
      expect(await check.check(LEAKED_FULL_WIDTH)).toEqual({
        breached: true,
        count: LEAKED_COUNT,
      });
      expect(fake.requests.slice(before)).toEqual([`/range/${sha1Hex(LEAKED).slice(0, 5)}`]);
    });
  });

  describe('k-anonymity: only the 5-character SHA-1 prefix leaves the process', () => {
    it('asks /range/{5 uppercase hex} and nothing more, with Add-Padding: true', async () => {
      const check = createBreachedPasswordCheck({ url: fake.url, log: captureLog().log });
      const passwords = [LEAKED, OTHER_LEAKED, FRESH, PADDED, LEAKED_FULL_WIDTH];
      const before = fake.requests.length;
      for (const pw of passwords) await check.check(pw);
      const asked = fake.requests.slice(before);
      const seen = fake.headers.slice(before);
      expect(asked).toEqual(
        passwords.map((pw) => `/range/${sha1Hex(pw.normalize('NFKC')).slice(0, 5)}`),
      );
      for (const [i, path] of asked.entries()) {
        const pw = passwords[i] as string;
        const hash = sha1Hex(pw.normalize('NFKC'));
        expect(path).toMatch(/^\/range\/[0-9A-F]{5}$/);
        expect(path).not.toMatch(/[0-9A-Fa-f]{6}/);
        expect(path).not.toContain(pw);
        expect(path).not.toContain(encodeURIComponent(pw));
        expect(path.toUpperCase()).not.toContain(hash.slice(5, 10));
        const headers = seen[i] as Record<string, string>;
        expect(headers['add-padding']).toBe('true');
        expect(headers['user-agent']).toBe('parcours-breached-password-check');
        expect(JSON.stringify(headers)).not.toContain(hash.slice(5, 15));
      }
    });

    it('joins the base address with or without its trailing slash', async () => {
      const check = createBreachedPasswordCheck({ url: `${fake.url}/`, log: captureLog().log });
      const before = fake.requests.length;
      expect(await check.check(LEAKED)).toMatchObject({ breached: true });
      expect(fake.requests.slice(before)).toEqual([`/range/${sha1Hex(LEAKED).slice(0, 5)}`]);
    });

    it('refuses, when built, a base address fetch could not take', () => {
      const log = captureLog().log;
      expect(() => createBreachedPasswordCheck({ url: 'not a url', log })).toThrow();
      expect(() => createBreachedPasswordCheck({ url: 'ftp://example.com', log })).toThrow();
      expect(() => createBreachedPasswordCheck({ url: 'https://example.com/?k=v', log })).toThrow();
    });
  });

  // Fail open: an outage of the breach service must not lock customers out of choosing a
  // password. The local policy (ASVS 2.1.7's common-password list) still applies meanwhile.
  describe("fails open: 'unknown' and one warn line when the service cannot answer", () => {
    it('a service slower than the timeout', async () => {
      const delayMs = 3_000;
      fake.setDelay(delayMs);
      const capture = captureLog();
      const check = createBreachedPasswordCheck({
        url: fake.url,
        timeoutMs: 100,
        log: capture.log,
      });
      const started = performance.now();
      await expect(check.check(LEAKED)).resolves.toEqual({ breached: 'unknown' });
      // Resolved on its own timeout, well before the service would have answered.
      expect(performance.now() - started).toBeLessThan(delayMs);
      const line = expectOneWarning(capture, LEAKED);
      expect(line).toMatchObject({ timeoutMs: 100 });
    });

    it('a 503', async () => {
      fake.setStatus(503);
      const capture = captureLog();
      const check = createBreachedPasswordCheck({ url: fake.url, log: capture.log });
      await expect(check.check(LEAKED)).resolves.toEqual({ breached: 'unknown' });
      expect(expectOneWarning(capture, LEAKED)).toMatchObject({ status: 503 });
    });

    it('a refused connection (the service is gone)', async () => {
      const gone = await startPwnedFake({ breached: [LEAKED] });
      await gone.close();
      const capture = captureLog();
      const check = createBreachedPasswordCheck({
        url: gone.url,
        timeoutMs: 1_000,
        log: capture.log,
      });
      await expect(check.check(LEAKED)).resolves.toEqual({ breached: 'unknown' });
      expect(expectOneWarning(capture, LEAKED)).toHaveProperty('err');
    });

    it('a body that breaks off mid-way', async () => {
      const capture = captureLog();
      const broken: typeof fetch = async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('0018A45C4D1DEF81644B54AB7F9'));
              controller.error(new Error('socket hang up'));
            },
          }),
          { status: 200, headers: { 'content-type': 'text/plain' } },
        );
      const check = createBreachedPasswordCheck({
        url: 'https://pwned.invalid',
        log: capture.log,
        fetch: broken,
      });
      await expect(check.check(LEAKED)).resolves.toEqual({ breached: 'unknown' });
      expectOneWarning(capture, LEAKED);
    });

    it('a 200 whose body is not a range (a proxy or captive portal page)', async () => {
      const capture = captureLog();
      const portal: typeof fetch = async () =>
        new Response('<html><body>Sign in to the hotel Wi-Fi</body></html>', {
          status: 200,
          headers: { 'content-type': 'text/html' },
        });
      const check = createBreachedPasswordCheck({
        url: 'https://pwned.invalid',
        log: capture.log,
        fetch: portal,
      });
      await expect(check.check(LEAKED)).resolves.toEqual({ breached: 'unknown' });
      expectOneWarning(capture, LEAKED);
    });

    it('an injected fetch that throws synchronously: still no throw', async () => {
      const capture = captureLog();
      const throwing = (() => {
        throw new TypeError('boom');
      }) as unknown as typeof fetch;
      const check = createBreachedPasswordCheck({
        url: 'https://pwned.invalid',
        log: capture.log,
        fetch: throwing,
      });
      await expect(check.check(LEAKED)).resolves.toEqual({ breached: 'unknown' });
      expectOneWarning(capture, LEAKED);
    });
  });
});
