import { type ActivityName, activityNames } from '../activities/catalog.js';
import type { Activities } from '../activities/index.js';
import { isErrorCode } from '../errors/catalogue.js';
import { businessFailure } from '../errors/journey-error.js';
import type { SecretRef } from '../security/vault.js';
import type { FakeActivity } from './test-kit.js';

/**
 * What an activity answers in a simulation: a result, a business failure from the error catalogue
 * (the journey's `onError` sees `business: true`), or a technical failure (retries ran out).
 */
export type SimulatedOutcome =
  | { returns: unknown }
  | { throws: { code: string; detail?: Record<string, unknown>; message?: string } }
  | { fails: string };

/** One outcome for every call, or one per call in order (the last repeats). */
export type SimulatedActivity = SimulatedOutcome | SimulatedOutcome[];

type DefaultResults = {
  [K in ActivityName]?: (input: Parameters<Activities[K]>[0]) => Awaited<ReturnType<Activities[K]>>;
};

const AT = '2026-01-01T00:00:00.000Z';
const LATER = '2026-01-01T00:10:00.000Z';
const ref = (name: string): { $secret: SecretRef } => ({ $secret: `sec_${name.padEnd(24, 'x')}` });
const issuedOtp = {
  challengeId: 'challenge-1',
  messageId: 'message-1',
  expiresAt: LATER,
  resendAvailableAt: AT,
};
const issuedSession = (input: { aal: number; amr: string[] }) => ({
  id: 'session-1',
  token: ref('session-token'),
  aal: input.aal,
  amr: input.amr,
  authTime: AT,
  expiresAt: '2026-01-15T00:00:00.000Z',
});

/**
 * The answer each activity gives when a simulation names none: the happy path, shaped like the
 * real activity's result (typed against it, so a changed contract does not compile). An activity
 * added later without a default must be given by the simulation file.
 */
export const defaultActivityResults: DefaultResults = {
  issueOtp: () => issuedOtp,
  verifyOtp: () => ({ recipient: 'customer@example.com' }),
  deliverMessage: () => ({ status: 'sent' }),
  createAccount: () => ({ userId: 'user-1' }),
  replaceEmail: () => ({}),
  createSession: issuedSession,
  raiseSession: (input) => ({ ...issuedSession(input), id: input.session.id }),
  verifyPassword: (input) => ({ userId: input.userId ?? 'user-1', factors: [] }),
  listFactors: () => ({ factors: [] }),
  removeFactor: (input) => ({ removed: input.factor }),
  beginTotpEnrolment: () => ({
    credentialId: 'totp-1',
    otpauthUri: ref('otpauth-uri'),
    qrCode: ref('qr-code'),
    secret: ref('totp-secret'),
  }),
  confirmTotp: () => ({ confirmedAt: AT, firstFactor: false }),
  verifyTotp: () => ({ verifiedAt: AT }),
  beginPasskeyRegistration: () => ({
    options: { challenge: 'challenge-1' } as Awaited<
      ReturnType<Activities['beginPasskeyRegistration']>
    >['options'],
  }),
  finishPasskeyRegistration: () => ({ passkeyId: 'passkey-1', firstFactor: false }),
  beginPasskeySignIn: () => ({ options: { challenge: 'challenge-1' } }),
  verifyPasskey: (input) => ({ userId: input.userId ?? 'user-1', userVerified: true }),
  reinstatePasskey: (input) => ({ reinstated: input.factor }),
  issueRecoveryCodes: () => ({ codes: [ref('recovery-1'), ref('recovery-2')], count: 2 }),
  forgetRecoveryCodes: () => undefined,
  verifyRecoveryCode: () => ({ remaining: 9 }),
  findRecoveryAccount: () => ({ userId: 'user-1', factors: [] }),
  completeRecovery: () => ({ userId: 'user-1', sessionsEnded: 1 }),
  enrolPhone: () => ({ credentialId: 'phone-1' }),
  sendSmsCode: () => ({ ...issuedOtp, phone: '+33••••78' }),
  verifySmsCode: () => ({ verifiedAt: AT }),
  scheduleFactorReset: () => ({ resetId: 'reset-1', dueAt: LATER }),
  remindFactorReset: () => ({ status: 'pending' }),
  completeFactorReset: () => ({ status: 'completed' }),
  // One question the first time, none after: a policy with one attribute missing.
  profileQuestions: (input) => ({
    questions: input.asked.length
      ? []
      : [{ attribute: 'given_name', schema: { type: 'string', minLength: 1, maxLength: 100 } }],
  }),
  saveProfileAnswers: (input) => ({
    answered: Object.keys(input.answers),
    skipped: input.asked.filter((name) => !(name in input.answers)),
  }),
  setVerifiedPhone: () => ({ changed: true }),
  // One optional purpose under the privacy policy in effect: asked, then recorded.
  consentToAsk: () => ({
    policies: [
      {
        policy: 'privacy',
        version: '2026-12-01',
        locale: 'en',
        content_hash: '0'.repeat(64),
        material: true,
        effective_at: '2026-12-01T00:00:00.000Z',
        href: '/v1/policies/privacy/2026-12-01/en',
      },
    ],
    purposes: [
      {
        id: 'partner_sharing',
        name: 'Share my email with Partner',
        attributes: ['email'],
        apps: ['partner'],
        policy: 'privacy',
        required: false,
        changed: 'new' as const,
      },
    ],
  }),
  checkConsent: () => ({}),
  requestErasure: () => ({ erasureId: 'erasure-1', dueAt: '2026-02-01T00:00:00.000Z' }),
  completeErasure: () => ({ status: 'completed' as const }),
  recordConsent: (input) => ({ recorded: Object.keys(input.decisions).length }),
  recordJourneyEvents: () => undefined,
  issueEmailCode: () => issuedOtp,
  verifyEmailCode: () => ({ email: 'customer@example.com' }),
  createUser: () => ({ userId: 'user-1' }),
};

/** Problems with a simulation's activities: unknown names, codes outside the error catalogue. */
export function checkSimulatedActivities(activities: Record<string, SimulatedActivity>): string[] {
  const known = new Set<string>(activityNames);
  return Object.entries(activities).flatMap(([name, given]) => [
    ...(known.has(name) ? [] : [`activities.${name}: not a known activity`]),
    ...[given]
      .flat()
      .filter((outcome) => 'throws' in outcome && !isErrorCode(outcome.throws.code))
      .map(
        (outcome) =>
          `activities.${name}: '${(outcome as { throws: { code: string } }).throws.code}' is not a code of the error catalogue (src/errors/catalogue.ts)`,
      ),
  ]);
}

/** Plays an outcome as the activity would: returns its result or throws its failure. */
export function playOutcome(outcome: SimulatedOutcome): unknown {
  if ('returns' in outcome) return outcome.returns;
  if ('throws' in outcome) {
    const { code, detail, message } = outcome.throws;
    if (!isErrorCode(code)) throw new Error(`'${code}' is not a code of the error catalogue`);
    throw businessFailure(code, detail, message);
  }
  throw new Error(outcome.fails);
}

/**
 * Fakes for the test kit from a simulation's outcomes: each call takes the next outcome (the last
 * repeats); an activity the simulation names not gets its default result. One with neither fails
 * the call (as an activity out of retries would) and is reported to `missing`.
 */
export function simulatedActivities(
  given: Record<string, SimulatedActivity>,
  missing: (activity: string) => void = () => {},
): Partial<Record<ActivityName, FakeActivity>> {
  const fakes: Partial<Record<ActivityName, FakeActivity>> = {};
  for (const name of activityNames) {
    const outcomes = given[name] === undefined ? [] : [given[name]].flat();
    const fallback = defaultActivityResults[name] as FakeActivity | undefined;
    let calls = 0;
    fakes[name] = (input) => {
      const outcome = outcomes[Math.min(calls++, outcomes.length - 1)];
      if (outcome) return playOutcome(outcome);
      if (fallback) return fallback(input);
      missing(name);
      throw new Error(`activity '${name}' has no simulated outcome and no default`);
    };
  }
  return fakes;
}
