import type { MessageRenderer } from '../channels/render.js';
import type { SmsFind, SmsSend } from '../channels/sms-transport.js';
import type { EmailSender } from '../channels/smtp-transport.js';
import type { PrismaClient } from '../db/prisma.js';
import type { Keyring } from '../security/keyring.js';
import type { RunKeys } from '../security/run-keys.js';
import type { Vault } from '../security/vault.js';
import type { SocialProvider } from '../social/social-providers.js';
import type { SmsLimits } from './otp/sms-limits.js';

/** What activities are built from: injected so tests and processes choose real or fake parts. */
export interface ActivityDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  vault: Vault;
  renderMessage: MessageRenderer['render'];
  /** Sends over SMTP; absent in embedded mode, where mail stays in the dev outbox. */
  sendEmail?: EmailSender['send'];
  /** Sends text messages; absent in embedded mode, where they stay in the dev outbox. */
  sendSms?: SmsSend;
  /** Finds a text message the provider took already (a send whose answer was lost). */
  findSms?: SmsFind;
  productName: string;
  /**
   * The API's public base URL (PARCOURS_PUBLIC_URL): the only base a link in a message is built on.
   * Absent, messages carry codes only.
   */
  publicUrl?: string;
  sessionTtlMs: number;
  /** A session unused this long has ended (default: DEFAULT_SESSION_IDLE_HOURS). */
  sessionIdleMs?: number;
  /** Codes one recipient may be sent in an hour, across all journeys (anti mail-bombing). */
  codesPerRecipientPerHour: number;
  /** Codes one requester may have sent to one recipient in an hour. */
  codesPerRequesterPerHour: number;
  /** Where text messages may go and how many (SMS pumping defences); absent, none is sent. */
  smsLimits?: SmsLimits;
  /** Failed sign-ins one requester may make in an hour, across addresses, before it is slowed down. */
  signInFailuresPerRequesterPerHour?: number;
  /** The WebAuthn relying party passkeys are bound to (origins checked in every ceremony). */
  webauthn?: { rpId: string; rpName: string; origins: string[] };
  /** Upstream OpenID Connect providers for social login (SOCIAL_PROVIDERS). */
  socialProviders?: readonly SocialProvider[];
  /** Tests only: calls to social providers may reach http and private addresses. */
  socialFetchPrivate?: boolean;
  /** Runs' own payload keys, shared with the worker's codec: erasure forgets them here at once. */
  runKeys?: RunKeys;
  now: () => Date;
}
