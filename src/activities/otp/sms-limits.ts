import { Context } from '@temporalio/activity';
import { textablePhone } from '../../channels/phone-number.js';
import type { Prisma } from '../../db/prisma.js';
import { businessFailure } from '../../errors/journey-error.js';

/** Where text messages may go and how many: SMS pumping defences. */
export interface SmsLimits {
  /** ISO 3166-1 alpha-2 countries numbers may belong to; any other is refused (deny by default). */
  countries: readonly string[];
  perNumberPerHour: number;
  /** A number's prefix: all but its last four digits, the block an operator's range is sold in. */
  perPrefixPerHour: number;
  perCountryPerHour: number;
  /** Per requester: a pseudonym of the client's network (/32 IPv4, /56 IPv6). */
  perRequesterPerHour: number;
  /** Every text message of a UTC day: past it, a breaker refuses all until midnight, and alerts. */
  dailyBudget: number;
}

const HOUR_MS = 3_600_000;

/** All but the last four digits: numbers pumped in bulk come from a few such ranges. */
export const numberPrefix = (e164: string): string => e164.slice(0, -4);

interface Counts {
  number: number;
  number_since: Date | null;
  prefix: number;
  prefix_since: Date | null;
  country: number;
  country_since: Date | null;
  requester: number;
  requester_since: Date | null;
  day: number;
}

/**
 * Admits one text message to `recipient`, or refuses it with what the customer is told: a country
 * outside the allow-list (`phone_country_not_allowed`), or a limit reached (`sms_limited`, with
 * when to come back: the step API answers 429 with Retry-After). A refusal sends nothing and
 * writes nothing: it is thrown inside the transaction that would have queued the message. Counted
 * under one lock, so concurrent requests count right: text messages are few and costly, and the
 * budget is a hard ceiling. Only messages actually queued count (not ones kept unsent).
 */
export async function admitSms(
  tx: Prisma.TransactionClient,
  limits: SmsLimits | undefined,
  input: {
    recipient: string;
    requesterPseudonyms: string[];
    at: Date;
    /** The activity call's own key: a retry of a call that committed does not count itself. */
    idempotencyKey: string;
  },
): Promise<{ country: string }> {
  const checked = textablePhone(input.recipient);
  if (!checked.ok) throw businessFailure(checked.code);
  const { e164, country } = checked.phone;
  if (!limits?.countries.includes(country)) throw businessFailure('phone_country_not_allowed');
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('sms-budget', 0))`;
  const hourAgo = new Date(input.at.getTime() - HOUR_MS);
  const dayStart = new Date(input.at);
  dayStart.setUTCHours(0, 0, 0, 0);
  const since = hourAgo < dayStart ? hourAgo : dayStart;
  const prefix = numberPrefix(e164);
  const [counts] = await tx.$queryRaw<Counts[]>`
    SELECT
      count(*) FILTER (WHERE hour AND c.recipient = ${e164})::int AS number,
      min(c.created_at) FILTER (WHERE hour AND c.recipient = ${e164}) AS number_since,
      count(*) FILTER (WHERE hour AND left(c.recipient, -4) = ${prefix})::int AS prefix,
      min(c.created_at) FILTER (WHERE hour AND left(c.recipient, -4) = ${prefix}) AS prefix_since,
      count(*) FILTER (WHERE hour AND c.recipient_country = ${country})::int AS country,
      min(c.created_at) FILTER (WHERE hour AND c.recipient_country = ${country}) AS country_since,
      count(*) FILTER (WHERE hour AND c.requester = ANY(${input.requesterPseudonyms}::text[]))::int
        AS requester,
      min(c.created_at) FILTER (WHERE hour AND c.requester = ANY(${input.requesterPseudonyms}::text[]))
        AS requester_since,
      count(*) FILTER (WHERE c.created_at >= ${dayStart})::int AS day
    FROM (SELECT *, created_at > ${hourAgo} AS hour FROM otp_challenges) c
    JOIN outbound_messages m ON m.idempotency_key = c.idempotency_key
    WHERE c.channel = 'sms' AND m.status <> 'suppressed' AND c.created_at >= ${since}
      AND c.idempotency_key <> ${input.idempotencyKey}`;
  const seen = counts as Counts;
  if (seen.day >= limits.dailyBudget) {
    const midnight = new Date(dayStart.getTime() + 24 * HOUR_MS);
    Context.current().log.error('SMS daily budget spent: the breaker refuses every text message', {
      alert: 'sms_budget_breaker',
      budget: limits.dailyBudget,
      until: midnight.toISOString(),
    });
    throw businessFailure('sms_limited', { retryAt: midnight.toISOString() });
  }
  const reached = (
    [
      [seen.number, limits.perNumberPerHour, seen.number_since],
      [seen.prefix, limits.perPrefixPerHour, seen.prefix_since],
      [seen.country, limits.perCountryPerHour, seen.country_since],
      [seen.requester, limits.perRequesterPerHour, seen.requester_since],
    ] as const
  ).filter(([count, limit]) => count >= limit);
  if (reached.length) {
    // The oldest message counted leaves its window first; with several limits reached, the last
    // of those is when one may come back.
    const back = Math.max(
      ...reached.map(([, , oldest]) => (oldest ?? input.at).getTime() + HOUR_MS),
    );
    throw businessFailure('sms_limited', { retryAt: new Date(back).toISOString() });
  }
  return { country };
}
