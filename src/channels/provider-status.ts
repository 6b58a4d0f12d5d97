import type { PrismaClient } from '../db/prisma.js';

/** Twilio's message statuses, in the order a message goes through them. */
export const PROVIDER_STATUSES = [
  'accepted',
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
] as const;
/** Where a message ends: no later report moves it back. */
const FINAL: readonly string[] = ['delivered', 'undelivered', 'failed'];
/** How long a report waits for its message to carry the provider's id before it is dropped. */
export const EARLY_REPORT_TTL_MS = 24 * 60 * 60_000;

export interface ProviderReport {
  providerMessageId: string;
  status: string;
  error?: string | undefined;
}

export const isProviderStatus = (status: string) =>
  (PROVIDER_STATUSES as readonly string[]).includes(status);

/** The statuses a report of `status` may replace: earlier ones that are not final. */
const replaceable = (status: string) =>
  PROVIDER_STATUSES.slice(0, PROVIDER_STATUSES.indexOf(status as never)).filter(
    (earlier) => !FINAL.includes(earlier),
  );

/**
 * Moves the message with this provider id forward to the report's status, never back. False when
 * no message carries the id yet.
 */
async function applyToMessage(prisma: PrismaClient, report: ProviderReport) {
  const where = { channel: 'sms', providerMessageId: report.providerMessageId };
  const moveForward = async () =>
    (
      await prisma.outboundMessage.updateMany({
        where: {
          ...where,
          OR: [{ providerStatus: null }, { providerStatus: { in: replaceable(report.status) } }],
        },
        data: {
          providerStatus: report.status,
          ...(report.error !== undefined ? { providerError: report.error } : {}),
        },
      })
    ).count > 0;
  if (await moveForward()) return true;
  if ((await prisma.outboundMessage.count({ where })) === 0) return false;
  // It got its id between the two statements, or it is past this status already.
  await moveForward();
  return true;
}

/**
 * Keeps a provider's delivery report on its message. Reports may arrive out of order, and even
 * before the send call that made the message has answered us (so before the message carries the
 * provider's id): such a report waits in `early_provider_reports` until `applyEarlyReport` runs
 * for that id. Whichever of the two comes second sees the other's write, so none is lost.
 */
export async function recordProviderReport(prisma: PrismaClient, report: ProviderReport) {
  if (!isProviderStatus(report.status)) return;
  if (await applyToMessage(prisma, report)) return;
  await prisma.$executeRaw`
    INSERT INTO early_provider_reports (provider_message_id, status, error)
    VALUES (${report.providerMessageId}, ${report.status}, ${report.error ?? null})
    ON CONFLICT (provider_message_id) DO UPDATE
      SET status = EXCLUDED.status, error = EXCLUDED.error, received_at = now()
      WHERE early_provider_reports.status = ANY(${replaceable(report.status)}::text[])`;
  // The message may have got its id meanwhile: its own check could have missed this report.
  await applyEarlyReport(prisma, report.providerMessageId);
}

/** Applies (then drops) the report that came for this provider id before the message had it. */
export async function applyEarlyReport(prisma: PrismaClient, providerMessageId: string) {
  const early = await prisma.earlyProviderReport.findUnique({ where: { providerMessageId } });
  if (!early) return;
  const report = { providerMessageId, status: early.status, error: early.error ?? undefined };
  if (await applyToMessage(prisma, report))
    await prisma.earlyProviderReport.deleteMany({
      where: { providerMessageId, status: early.status },
    });
}

/** Drops reports no message claimed within a day (a message that was never recorded as sent). */
export async function purgeEarlyReports(prisma: PrismaClient, now: Date) {
  const { count } = await prisma.earlyProviderReport.deleteMany({
    where: { receivedAt: { lt: new Date(now.getTime() - EARLY_REPORT_TTL_MS) } },
  });
  return count;
}
