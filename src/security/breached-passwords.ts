import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { normalizePassword } from './password-hash.js';

// NIST SP 800-63B §5.1.1.2 requires comparing a new password against values known from previous
// breach corpuses, and ASVS 2.1.7 asks for the same check. The local policy (zxcvbn's common-word
// lists) only knows a few tens of thousands of them; Have I Been Pwned's Pwned Passwords knows
// hundreds of millions. It is asked through its k-anonymity range API, so the service never sees
// more than 5 hex characters of the hash: about a million buckets, each shared by hundreds of
// breached passwords and by countless passwords that never were.

/** Default time budget: the customer waits for this while submitting a new password. */
const DEFAULT_TIMEOUT_MS = 1500;
const USER_AGENT = 'parcours-breached-password-check';
const PREFIX_LENGTH = 5;
// One answer line: the 35 remaining hex characters of the SHA-1, then how often it was seen.
const RANGE_LINE = /^([0-9A-F]{35}):(\d+)$/i;
const UNAVAILABLE = 'breached-password check unavailable: password accepted';

/** Whether a password is in the breach corpus; `'unknown'` when the service could not say. */
export type BreachedPasswordVerdict =
  | { breached: true; count: number }
  | { breached: false }
  | { breached: 'unknown' };

export interface BreachedPasswordCheck {
  /** Never throws: an unavailable service answers `{ breached: 'unknown' }` and logs a warning. */
  check(password: string): Promise<BreachedPasswordVerdict>;
}

export interface BreachedPasswordCheckOptions {
  /** The service's base address, without `/range` (https://api.pwnedpasswords.com). */
  url: string;
  /** How long to wait for the whole answer, body included. */
  timeoutMs?: number;
  log: Pick<Logger, 'warn'>;
  /** Defaults to the global fetch; tests inject their own. */
  fetch?: typeof fetch;
}

/** The uppercase hex SHA-1 of the NFKC-normalised password, split where the range API splits it. */
function rangeKey(password: string): { prefix: string; suffix: string } {
  // Normalised as password-hash.ts normalises before argon2id, so the password checked is the
  // password stored, whatever keyboard typed it.
  const hex = createHash('sha1')
    .update(normalizePassword(password), 'utf8')
    .digest('hex')
    .toUpperCase();
  return { prefix: hex.slice(0, PREFIX_LENGTH), suffix: hex.slice(PREFIX_LENGTH) };
}

/** The count the answer gives `suffix`: 0 when absent; undefined when the body is not a range. */
function countIn(body: string, suffix: string): number | undefined {
  let count = 0;
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const match = RANGE_LINE.exec(line);
    // Anything else (a proxy's HTML page, a truncated answer) means the corpus was not consulted.
    if (!match) return undefined;
    if ((match[1] as string).toUpperCase() === suffix) count = Number(match[2]);
  }
  return count;
}

/**
 * Builds the breached-password check against a Pwned Passwords range API: only the first 5
 * characters of the password's SHA-1 leave the process, never the password nor its full hash.
 * It fails open: a slow, failing or unreachable service must not stop customers from choosing a
 * password, so it answers `'unknown'` and logs one warning (which names neither the password nor
 * its prefix) for operators to notice. Throws, at creation only, if `url` is not an http(s) base.
 */
export function createBreachedPasswordCheck(
  options: BreachedPasswordCheckOptions,
): BreachedPasswordCheck {
  // Checked here, once: a malformed address is a configuration error, not an outage, and fetch's
  // "Failed to parse URL" error would quote the prefix into the logs.
  const parsed = new URL(options.url);
  if (!/^https?:$/.test(parsed.protocol) || parsed.search || parsed.hash)
    throw new Error(`breached-password check: ${options.url} is not an http(s) base address`);
  const base = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { log } = options;

  async function check(password: string): Promise<BreachedPasswordVerdict> {
    const fetchRange = options.fetch ?? globalThis.fetch;
    try {
      const { prefix, suffix } = rangeKey(password);
      // The signal bounds the body's download too, not only the wait for the headers.
      const response = await fetchRange(`${base}/range/${prefix}`, {
        headers: {
          // Padding answers 800-1,000 lines whatever the bucket, so the answer's size does not
          // tell an observer of the (encrypted) traffic which prefix was asked. Padding lines
          // carry a count of 0 and are no breach.
          'Add-Padding': 'true',
          'User-Agent': USER_AGENT,
          Accept: 'text/plain',
        },
        // A redirect would send the prefix to a host nobody configured: refuse it (fails open).
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        log.warn({ status: response.status }, UNAVAILABLE);
        return { breached: 'unknown' };
      }
      const count = countIn(await response.text(), suffix);
      if (count === undefined) {
        log.warn({ err: new Error('the answer is not a list of SUFFIX:COUNT lines') }, UNAVAILABLE);
        return { breached: 'unknown' };
      }
      return count > 0 ? { breached: true, count } : { breached: false };
    } catch (err) {
      // Refused or reset connection, refused redirect, unreadable body: none of these errors
      // carries the requested address, so the prefix stays out of the logs. A timeout is said
      // plainly (a DOMException serialises as its two dozen legacy constants).
      if (err instanceof DOMException && err.name === 'TimeoutError')
        log.warn({ timeoutMs }, UNAVAILABLE);
      else log.warn({ err }, UNAVAILABLE);
      return { breached: 'unknown' };
    }
  }

  return { check };
}
