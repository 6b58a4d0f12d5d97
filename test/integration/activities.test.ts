import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Activities,
  type ActivityDeps,
  createActivities,
} from '../../src/activities/index.js';
import type { OtpPolicy } from '../../src/activities/otp/otp.js';
import { createOutbox } from '../../src/activities/outbox/outbox.js';
import { createTwilioSender } from '../../src/channels/sms-transport.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { createRequesterIds } from '../../src/http/requester.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { createVault, type Vault } from '../../src/security/vault.js';
import { asCall, testActivityDefaults } from '../support/activity-call.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { grantedSession } from '../support/granted-session.js';
import { codeIn } from '../support/http.js';
import { startTwilioFake, type TwilioFake } from '../support/twilio-fake.js';

/*
 * Activities run again when Temporal retries them or a worker dies before their result is
 * recorded. The same call (same workflow, same activity id) must then have the same effect once.
 */

let db: TestDatabase;
let prisma: PrismaClient;
let vault: Vault;
let activities: Activities;
const keySpec = generateKeySpec('test');
const keyring = createKeyring(keySpec);
const outbox = createOutbox({ keyring });

/** The activities on this file's database, with the senders (or the keys) a test gives them. */
const activitiesWith = (
  overrides: Partial<
    Pick<
      ActivityDeps,
      | 'sendEmail'
      | 'sendSms'
      | 'findSms'
      | 'keyring'
      | 'vault'
      | 'codesPerRequesterPerHour'
      | 'signInFailuresPerRequesterPerHour'
    >
  >,
) =>
  createActivities({
    prisma,
    keyring,
    vault,
    ...testActivityDefaults,
    smsLimits: {
      countries: ['FR', 'US'],
      perNumberPerHour: 3,
      perPrefixPerHour: 10,
      perCountryPerHour: 100,
      perRequesterPerHour: 5,
      dailyBudget: 1_000,
    },
    ...overrides,
  });

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url, { max: 3 });
  vault = createVault(prisma, keyring);
  activities = activitiesWith({});
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const registrationPolicy: OtpPolicy = {
  purpose: 'registration',
  channel: 'email',
  digits: 6,
  ttlMs: 600_000,
  resendCooldownMs: 30_000,
  template: 'registration-code',
  whenTaken: { template: 'registration-existing-account' },
};

async function issue(journeyId: string, email: string, policy = registrationPolicy) {
  const call = asCall(journeyId, '1');
  const input = { journeyId, recipient: email, policy };
  return {
    issued: await call.run(activities.issueOtp, input),
    again: await call.run(activities.issueOtp, input),
  };
}

async function account(journeyId: string, email: string) {
  return asCall(journeyId, '4').run(activities.createAccount, {
    journeyId,
    identifiers: [{ type: 'email' as const, value: email, verified: true }],
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y',
    consents: [{ purpose: 'terms', policyVersion: '2026-11-01' }],
  });
}

/**
 * An account with a strong factor (recovery codes stand in for one) and a session granted to the
 * run `journeyId`, as the step API hands it to mfa-enrolment.
 */
async function enrolledAccount(journeyId: string, email: string) {
  const { userId } = await account(journeyId, email);
  await prisma.credential.create({ data: { userId, type: 'totp', confirmedAt: new Date() } });
  const opened = await asCall(journeyId, '5').run(activities.createSession, {
    journeyId,
    userId,
    aal: 2,
    amr: ['pwd', 'otp', 'mfa'],
  });
  return { userId, session: await grantedSession(prisma, keyring, opened.id, journeyId) };
}

async function codeOf(messageId: string): Promise<string> {
  const message = await prisma.outboundMessage.findUniqueOrThrow({ where: { id: messageId } });
  return codeIn(outbox.open(message)?.text ?? '');
}

describe('activities under retry', () => {
  it('issues one code and one email when issueOtp runs twice for the same call', async () => {
    const { issued, again } = await issue('jrn_issue', 'retry@example.com');
    expect(again).toEqual(issued);
    expect(await prisma.otpChallenge.count({ where: { journeyId: 'jrn_issue' } })).toBe(1);
    expect(await prisma.outboundMessage.count({ where: { journeyId: 'jrn_issue' } })).toBe(1);
  });

  it('answers a retried successful code check with success, but refuses the same code to any other call (single use)', async () => {
    const { issued } = await issue('jrn_verify', 'verify@example.com');
    const code = await vault.put({
      purpose: 'test',
      value: await codeOf(issued.messageId),
      ttlMs: 60_000,
    });
    const check = { challengeId: issued.challengeId, code, maxAttempts: 5 };
    const call = asCall('jrn_verify', '2');
    expect(await call.run(activities.verifyOtp, check)).toEqual({
      recipient: 'verify@example.com',
    });
    expect(await call.run(activities.verifyOtp, check)).toEqual({
      recipient: 'verify@example.com',
    });

    const replay = asCall('jrn_verify', '3').run(activities.verifyOtp, check);
    await expect(replay).rejects.toMatchObject({ type: 'code_used', nonRetryable: true });
    // Once consumed, the code is gone from the vault too.
    expect(await vault.reveal(code)).toBeUndefined();
  });

  it('creates one account when createAccount runs twice for the same journey', async () => {
    const first = await account('jrn_user', 'once@example.com');
    const second = await account('jrn_user', 'once@example.com');
    expect(second).toEqual(first);
    expect(await prisma.identifier.count({ where: { value: 'once@example.com' } })).toBe(1);
    expect(await prisma.consentRecord.count({ where: { userId: first.userId } })).toBe(1);
    expect(await prisma.credential.count({ where: { userId: first.userId } })).toBe(1);
  });

  it('refuses a second account for an address another journey registered (email_taken)', async () => {
    await account('jrn_first', 'taken@example.com');
    await expect(account('jrn_second', 'taken@example.com')).rejects.toMatchObject({
      type: 'email_taken',
      nonRetryable: true,
    });
  });

  it('keeps one session per journey when createSession is retried, handing off only the latest token', async () => {
    const { userId } = await account('jrn_session', 'session@example.com');
    const input = { journeyId: 'jrn_session', userId, aal: 1, amr: ['pwd'] };
    const first = await asCall('jrn_session', '5').run(activities.createSession, input);
    const firstToken = await vault.reveal(first.token.$secret);
    const second = await asCall('jrn_session', '5').run(activities.createSession, input);
    expect(second.id).toBe(first.id);
    expect(second.token).toEqual(first.token);
    const token = await vault.take(second.token.$secret);
    expect(token).not.toBe(firstToken);
    expect(await prisma.session.count({ where: { userId } })).toBe(1);
  });

  it('does not send a message twice (deliverMessage is idempotent)', async () => {
    const sent: string[] = [];
    const withSmtp = activitiesWith({
      sendEmail: async (email) => {
        sent.push(email.to);
        return { messageId: `<${sent.length}@test>` };
      },
    });
    const { issued } = await issue('jrn_deliver', 'deliver@example.com');
    const call = asCall('jrn_deliver', '6');
    await call.run(withSmtp.deliverMessage, { messageId: issued.messageId });
    await call.run(withSmtp.deliverMessage, { messageId: issued.messageId });
    expect(sent).toEqual(['deliver@example.com']);
    // Delivered mail holds a code: its content is wiped once the SMTP server has it.
    expect(
      (await prisma.outboundMessage.findUniqueOrThrow({ where: { id: issued.messageId } }))
        .sealedContent,
    ).toBeNull();
  });
});

describe('capability activities take their policy as input', () => {
  it('tells the owner of a taken address instead of sending a code, and no code then works (no enumeration)', async () => {
    await account('jrn_owner', 'owner@example.com');
    const { issued } = await issue('jrn_claim', 'Owner@Example.com');
    const message = await prisma.outboundMessage.findUniqueOrThrow({
      where: { id: issued.messageId },
    });
    expect(message).toMatchObject({
      recipient: 'owner@example.com',
      template: 'registration-existing-account',
    });
    expect(outbox.open(message)?.text).not.toMatch(/\d{6}/);
    const challenge = await prisma.otpChallenge.findUniqueOrThrow({
      where: { id: issued.challengeId },
    });
    expect(challenge.codeHash).toBeNull();
    const guess = await vault.put({ purpose: 'test', value: '123456', ttlMs: 60_000 });
    await expect(
      asCall('jrn_claim', '2').run(activities.verifyOtp, {
        challengeId: issued.challengeId,
        code: guess,
        maxAttempts: 5,
      }),
    ).rejects.toMatchObject({ type: 'invalid_code' });
  });

  it("renders the message in the customer's language, falling back from region to language", async () => {
    const { issued } = await issue('jrn_locale', 'amelie@example.com', {
      ...registrationPolicy,
      locales: ['fr-CA', 'en'],
    });
    const message = await prisma.outboundMessage.findUniqueOrThrow({
      where: { id: issued.messageId },
    });
    expect(message.locale).toBe('fr');
    const content = outbox.open(message) as { subject: string; html: string };
    expect(content.subject).toBe('Votre code de vérification Parcours');
    expect(content.html).toContain('<html lang="fr">');
  });

  it('issues a code for another purpose with its own template and lifetime', async () => {
    const { issued } = await issue('jrn_purpose', 'new-address@example.com', {
      purpose: 'email-change',
      channel: 'email',
      digits: 6,
      ttlMs: 5 * 60_000,
      resendCooldownMs: 60_000,
      template: 'email-change-code',
    });
    const challenge = await prisma.otpChallenge.findUniqueOrThrow({
      where: { id: issued.challengeId },
    });
    expect(challenge).toMatchObject({ purpose: 'email-change', channel: 'email' });
    expect(challenge.expiresAt.getTime() - challenge.createdAt.getTime()).toBe(5 * 60_000);
    const message = await prisma.outboundMessage.findUniqueOrThrow({
      where: { id: issued.messageId },
    });
    expect(message.template).toBe('email-change-code');
    expect(outbox.open(message)?.text).toMatch(/\b\d{6}\b/);
  });
});

describe('across a key rotation (the new key listed first, the old one kept)', () => {
  const rotatedKeyring = createKeyring(`${generateKeySpec('k2')},${keySpec}`);
  const rotatedActivities = (overrides: Parameters<typeof activitiesWith>[0]) =>
    activitiesWith({
      ...overrides,
      keyring: rotatedKeyring,
      vault: createVault(prisma, rotatedKeyring),
    });
  /** A secret as the step API hands it to a run: by vault reference. */
  const typed = (value: string) => vault.put({ purpose: 'test', value, ttlMs: 60_000 });
  /** What the step API names a client at `ip` before and after the rotation. */
  const requesterBefore = (ip: string) => createRequesterIds(keyring)({ ip } as Request);
  const requesterAfter = (ip: string) => createRequesterIds(rotatedKeyring)({ ip } as Request);
  const wrongPassword = async (
    acts: Activities,
    identifier: string,
    requester?: string,
  ): Promise<unknown> =>
    asCall('jrn_password', identifier)
      .run(acts.verifyPassword, {
        identifier,
        password: await typed('not the password'),
        ...(requester ? { requester } : {}),
      })
      .catch((error: { type?: string }) => error.type);

  it('checks a code issued before the keys rotated, with the key it was hashed with', async () => {
    const { issued } = await issue('jrn_rotation', 'rotation@example.com');
    const rotated = rotatedActivities({});
    const code = await vault.put({
      purpose: 'test',
      value: await codeOf(issued.messageId),
      ttlMs: 60_000,
    });
    expect(
      await asCall('jrn_rotation', '2').run(rotated.verifyOtp, {
        challengeId: issued.challengeId,
        code,
        maxAttempts: 5,
      }),
    ).toEqual({ recipient: 'rotation@example.com' });
  });
  it('keeps recovery codes working: each is checked under the key it was hashed with', async () => {
    const { userId, session } = await enrolledAccount('jrn_rc_rotation', 'rc-rotation@example.com');
    const issued = await asCall('jrn_rc_rotation', '7').run(activities.issueRecoveryCodes, {
      journeyId: 'jrn_rc_rotation',
      session,
    });
    const shown = (await vault.reveal(issued.codes[0]?.$secret as never)) as string;
    const rotated = rotatedActivities({});
    expect(
      await asCall('jrn_rc_after', '1').run(rotated.verifyRecoveryCode, {
        journeyId: 'jrn_rc_after',
        userId,
        code: await typed(shown),
      }),
    ).toMatchObject({ remaining: 9 });
  });

  it("keeps an address's failed sign-ins: the sixth wrong password in a row still waits (NIST SP 800-63B-4 §3.2.2)", async () => {
    const identifier = 'counted@example.com';
    for (let attempt = 0; attempt < 5; attempt += 1)
      expect(await wrongPassword(activities, identifier)).toBe('invalid_credentials');
    expect(await wrongPassword(rotatedActivities({}), identifier)).toBe('sign_in_throttled');
  });

  it("keeps a requester's failed sign-ins across addresses: spraying before the rotation still slows it after", async () => {
    const limited = { signInFailuresPerRequesterPerHour: 3 };
    const before = activitiesWith(limited);
    for (const address of ['spray-1', 'spray-2', 'spray-3'])
      expect(
        await wrongPassword(before, `${address}@example.com`, requesterBefore('198.51.100.9')),
      ).toBe('invalid_credentials');
    expect(
      await wrongPassword(
        rotatedActivities(limited),
        'spray-4@example.com',
        requesterAfter('198.51.100.9'),
      ),
    ).toBe('sign_in_throttled');
  });

  it("keeps a requester's code allowance for a recipient: codes sent before the rotation still count", async () => {
    const recipient = 'allowance@example.com';
    const policy = { ...registrationPolicy, whenTaken: undefined };
    const issueFrom = (acts: Activities, journeyId: string, requester: string) =>
      asCall(journeyId, '1').run(acts.issueOtp, { journeyId, recipient, policy, requester });
    const before = activitiesWith({ codesPerRequesterPerHour: 2 });
    await issueFrom(before, 'jrn_allow_1', requesterBefore('198.51.100.10'));
    await issueFrom(before, 'jrn_allow_2', requesterBefore('198.51.100.10'));
    const after = rotatedActivities({ codesPerRequesterPerHour: 2 });
    const third = await issueFrom(after, 'jrn_allow_3', requesterAfter('198.51.100.10'));
    const message = await prisma.outboundMessage.findUniqueOrThrow({
      where: { id: third.messageId },
    });
    expect(message.status).toBe('suppressed');
  });
});

describe('recovery codes under guessing', () => {
  it("judges the owner's recovery code at once while the account waits out delays another network's guesses earned (NIST SP 800-63B-4 §3.2.2)", async () => {
    const { userId, session } = await enrolledAccount('jrn_rc_guessed', 'rc-guessed@example.com');
    const issued = await asCall('jrn_rc_guessed', '7').run(activities.issueRecoveryCodes, {
      journeyId: 'jrn_rc_guessed',
      session,
    });
    const shown = (await vault.reveal(issued.codes[0]?.$secret as never)) as string;
    const attempt = async (requester: string, code: string) =>
      asCall(`jrn_rc_${requester}`, randomUUID())
        .run(activities.verifyRecoveryCode, {
          journeyId: `jrn_rc_${requester}`,
          userId,
          code: await vault.put({ purpose: 'test', value: code, ttlMs: 60_000 }),
          requester,
        })
        .catch((error: { type?: string }) => error.type);
    const answers = [];
    for (let guess = 0; guess < 6; guess += 1)
      answers.push(await attempt('guesser', 'AAAA-AAAA-AAAA'));
    expect(answers).toEqual([...Array(5).fill('invalid_code'), 'factor_throttled']);
    expect(await attempt('owner', shown)).toMatchObject({ remaining: 9 });
  });
});

describe('replaceEmail', () => {
  async function signedIn(journeyId: string, email: string) {
    const { userId } = await account(journeyId, email);
    const session = await asCall(journeyId, '5').run(activities.createSession, {
      journeyId,
      userId,
      aal: 1,
      amr: ['pwd'],
    });
    return { userId, sessionId: session.id };
  }
  const change = async (
    callId: string,
    who: { userId: string; sessionId: string },
    value: string,
  ) =>
    asCall('jrn_change', callId).run(activities.replaceEmail, {
      journeyId: 'jrn_change',
      session: await grantedSession(prisma, keyring, who.sessionId, 'jrn_change'),
      value,
      notifyPrevious: { template: 'email-changed' as const },
    });

  it('replaces the address and tells the previous one, with no code, once even when retried', async () => {
    const who = await signedIn('jrn_replace', 'before@example.com');
    const first = await change('1', who, 'After@Example.com');
    const retried = await change('1', who, 'After@Example.com');
    expect(retried).toEqual(first);
    const identifiers = await prisma.identifier.findMany({ where: { userId: who.userId } });
    expect(identifiers.map((identifier) => identifier.value)).toEqual(['after@example.com']);
    expect(identifiers[0]?.verifiedAt).not.toBeNull();
    const notices = await prisma.outboundMessage.findMany({
      where: { recipient: 'before@example.com', template: 'email-changed' },
    });
    expect(notices).toHaveLength(1);
    const text = outbox.open(notices[0] as (typeof notices)[number])?.text ?? '';
    expect(text).toContain('a***@example.com');
    expect(text).not.toMatch(/\d{4,}/);
  });

  it('refuses when the session the journey acts for was logged out meanwhile, and changes nothing', async () => {
    const who = await signedIn('jrn_revoked', 'revoked@example.com');
    await prisma.session.update({ where: { id: who.sessionId }, data: { revokedAt: new Date() } });
    await expect(change('2', who, 'elsewhere@example.com')).rejects.toMatchObject({
      type: 'session_required',
    });
    expect(
      (await prisma.identifier.findFirstOrThrow({ where: { userId: who.userId } })).value,
    ).toBe('revoked@example.com');
  });

  it("refuses an address that became someone else's since the code was sent (email_taken)", async () => {
    const who = await signedIn('jrn_racer', 'racer@example.com');
    await account('jrn_claimed', 'claimed@example.com');
    await expect(change('3', who, 'claimed@example.com')).rejects.toMatchObject({
      type: 'email_taken',
    });
  });
});

describe("registration@1's activities (kept for its runs in flight)", () => {
  it('answer as before, through the capability activities', async () => {
    const call = asCall('jrn_v1', '1');
    const issued = await call.run(activities.issueEmailCode, {
      journeyId: 'jrn_v1',
      email: 'v1@example.com',
      purpose: 'registration',
      ttlMs: 600_000,
      resendCooldownMs: 30_000,
    });
    expect(issued).toEqual({
      challengeId: expect.any(String),
      messageId: expect.any(String),
      expiresAt: expect.any(String),
      resendAvailableAt: expect.any(String),
    });
    const code = await vault.put({
      purpose: 'test',
      value: await codeOf(issued.messageId),
      ttlMs: 60_000,
    });
    expect(
      await asCall('jrn_v1', '2').run(activities.verifyEmailCode, {
        challengeId: issued.challengeId,
        code,
        maxAttempts: 5,
      }),
    ).toEqual({ email: 'v1@example.com' });
    const { userId } = await asCall('jrn_v1', '3').run(activities.createUser, {
      journeyId: 'jrn_v1',
      email: 'v1@example.com',
      passwordHash: '$argon2id$x',
      termsVersion: '2026-11-01',
    });
    expect(await prisma.consentRecord.count({ where: { userId, purpose: 'terms' } })).toBe(1);
  });
});

describe('the vault', () => {
  it('hands a secret to exactly one of several concurrent takers, then to no one', async () => {
    const ref = await vault.put({ purpose: 'test', value: 'shown once', ttlMs: 60_000 });
    const takes = await Promise.all(Array.from({ length: 5 }, () => vault.take(ref)));
    expect(takes.filter((value) => value === 'shown once')).toHaveLength(1);
    expect(takes.filter((value) => value === undefined)).toHaveLength(4);
    expect(await vault.reveal(ref)).toBeUndefined();
  });

  it('takes nothing from an expired reference, and removes it', async () => {
    const ref = await vault.put({ purpose: 'test', value: 'too late', ttlMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await vault.take(ref)).toBeUndefined();
    expect(await prisma.secretRef.count({ where: { id: ref } })).toBe(0);
  });
});

describe('text messages: the otp and messages capabilities over SMS, through the twilio client', () => {
  let twilioFake: TwilioFake;
  beforeAll(async () => {
    twilioFake = await startTwilioFake();
  });
  afterAll(async () => {
    await twilioFake?.close();
  });

  const smsPolicy: OtpPolicy = {
    purpose: 'phone-verification',
    channel: 'sms',
    digits: 6,
    ttlMs: 5 * 60_000,
    resendCooldownMs: 30_000,
    template: 'phone-verification-code',
    locales: ['fr'],
  };
  const withTwilio = (authToken: string) =>
    activitiesWith({
      sendSms: createTwilioSender({
        accountSid: twilioFake.accountSid,
        authToken,
        from: '+15005550006',
        apiUrl: twilioFake.url,
      }).send,
    });

  it('issues a code to a phone number and delivers it by SMS, in the customer language, once', async () => {
    const { issued } = await issue('jrn_sms', '+33 6 12 34 56 78', smsPolicy);
    const message = await prisma.outboundMessage.findUniqueOrThrow({
      where: { id: issued.messageId },
    });
    expect(message).toMatchObject({ channel: 'sms', recipient: '+33612345678', locale: 'fr' });
    const sms = withTwilio(twilioFake.authToken);
    const call = asCall('jrn_sms', '6');
    await call.run(sms.deliverMessage, { messageId: issued.messageId });
    await call.run(sms.deliverMessage, { messageId: issued.messageId });
    expect(twilioFake.messages).toHaveLength(1);
    const [sent] = twilioFake.messages;
    expect(sent).toMatchObject({ to: '+33612345678', from: '+15005550006' });
    expect(sent?.body).toMatch(/^\d{6} est votre code de vérification Parcours\./);
    const delivered = await prisma.outboundMessage.findUniqueOrThrow({
      where: { id: issued.messageId },
    });
    // The provider's id is kept; the code is not, once the provider has it.
    expect(delivered).toMatchObject({ status: 'sent', providerMessageId: sent?.sid });
    expect(delivered.sealedContent).toBeNull();
    // And the code delivered is the one that verifies.
    const code = await vault.put({
      purpose: 'test',
      value: (sent?.body ?? '').slice(0, 6),
      ttlMs: 60_000,
    });
    expect(
      await asCall('jrn_sms', '7').run(activities.verifyOtp, {
        challengeId: issued.challengeId,
        code,
        maxAttempts: 5,
      }),
    ).toEqual({ recipient: '+33612345678' });
  });

  it("fails the delivery for a retry when Twilio refuses, keeping the message and Twilio's error", async () => {
    const { issued } = await issue('jrn_sms_refused', '+14155550123', smsPolicy);
    const refused = asCall('jrn_sms_refused', '6').run(withTwilio('not-the-token').deliverMessage, {
      messageId: issued.messageId,
    });
    await expect(refused).rejects.toThrow(/Authenticate/);
    const kept = await prisma.outboundMessage.findUniqueOrThrow({
      where: { id: issued.messageId },
    });
    expect(kept).toMatchObject({ status: 'pending', attempts: 1 });
    expect(kept.lastError).toMatch(/Authenticate/);
    expect(kept.sealedContent).not.toBeNull();
  });

  it('sends a text once across a send whose answer was lost: the retry finds it at Twilio and sends nothing more', async () => {
    const { issued } = await issue('jrn_sms_lost', '+33 6 12 34 56 99', smsPolicy);
    const twilioClient = createTwilioSender({
      accountSid: twilioFake.accountSid,
      authToken: twilioFake.authToken,
      from: '+15005550006',
      apiUrl: twilioFake.url,
      timeoutMs: 300,
    });
    const sms = activitiesWith({ sendSms: twilioClient.send, findSms: twilioClient.find });
    const before = twilioFake.messages.length;
    // Twilio takes the message, and its answer never comes back (the sender's process may as well
    // have died): the attempt fails, the message stays claimed.
    twilioFake.holdAnswers(true);
    await expect(
      asCall('jrn_sms_lost', '6').run(sms.deliverMessage, { messageId: issued.messageId }),
    ).rejects.toThrow();
    twilioFake.holdAnswers(false);
    expect(twilioFake.messages.length).toBe(before + 1);
    const claimed = await prisma.outboundMessage.findUniqueOrThrow({
      where: { id: issued.messageId },
    });
    expect(claimed.status).toBe('sending');
    // The retry asks Twilio first, finds the text it took, and keeps its id.
    await asCall('jrn_sms_lost', '6').run(sms.deliverMessage, { messageId: issued.messageId });
    expect(twilioFake.messages.length).toBe(before + 1);
    const sent = await prisma.outboundMessage.findUniqueOrThrow({
      where: { id: issued.messageId },
    });
    expect(sent).toMatchObject({
      status: 'sent',
      providerMessageId: twilioFake.messages.at(-1)?.sid,
    });
  });

  it('refuses to issue a code by SMS to something that is not an E.164 phone number', async () => {
    await expect(issue('jrn_sms_bad', 'ada@example.com', smsPolicy)).rejects.toThrow(/E\.164/);
  });
});
