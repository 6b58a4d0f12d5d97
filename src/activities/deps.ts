import type { PrismaClient } from '../db/prisma.js';
import type { EmailRenderer } from '../email/render.js';
import type { EmailSender } from '../email/smtp-transport.js';
import type { Keyring } from '../security/keyring.js';
import type { Vault } from '../security/vault.js';

/** What activities are built from: injected so tests and processes choose real or fake parts. */
export interface ActivityDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  vault: Vault;
  renderEmail: EmailRenderer['render'];
  /** Sends over SMTP; absent in embedded mode, where mail stays in the dev outbox. */
  sendEmail?: EmailSender['send'];
  productName: string;
  sessionTtlMs: number;
  /** Codes one address may be sent in an hour, across all journeys (anti mail-bombing). */
  emailCodesPerAddressPerHour: number;
  now: () => Date;
}
