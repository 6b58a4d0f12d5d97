import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  deliveringNotice,
  type IssuedSession,
  type JourneyFailure,
  type JourneyInput,
  type JourneyResult,
  journeyEnds,
  journeySetup,
  openingSession,
  outputOf,
  results,
  type StepError,
  secret,
  step,
} from '../src/journey-kit/index.js';
import { codeChallengeHost, codeChallengeSettings } from './fragments/code-challenge.js';
import { type FactorChallengeHost, secondFactorChallenges } from './fragments/factor-challenges.js';
import { addressStart, type InboxProofHost, inboxProof } from './fragments/inbox-proof.js';

/**
 * Account recovery for a customer who forgot their password: the address, a code sent to it, the
 * second factor the account has enrolled (the same challenges as the sign-in), then a new password.
 * Only then are the account's other sessions ended, a session opened and every verified address
 * told. Until the end the run holds no session, so nothing it produced signs anyone in.
 *
 * Every answer is the same whether or not the address has an account: the code goes only to an
 * active account's verified address, and any other address gets a challenge no code satisfies,
 * after the same work (OWASP WSTG-IDNT-04, ASVS 5.0 V6.4.1). Inbox control is no second factor
 * (NIST SP 800-63B-4 does not accept email as an authenticator): it is what lets the customer ask,
 * never what lets them skip the account's factor, and it adds nothing to the session's level.
 */

const settings = codeChallengeSettings.extend({
  // A code, and a link (a single-use token bound to the run), live 15 minutes.
  codeTtlMs: z
    .number()
    .int()
    .positive()
    .default(15 * 60_000),
  // NIST SP 800-63B-4 §3.1.1.2, as at registration: raise it where the password is the only factor.
  passwordMinLength: z.number().int().min(8).max(64).default(8),
});
type Settings = z.infer<typeof settings>;

type Start = z.infer<typeof addressStart>;

const newPasswordInput = z.strictObject({ password: secret.newPassword() });

type Events =
  | { type: 'email'; input: { email: string } }
  | { type: 'verify-email'; input: { code: string } | { resend: true } | { link: string } }
  | { type: 'passkey'; input: { credential: unknown } | { method: string } }
  | { type: 'totp'; input: { code: string } | { method: string } }
  | { type: 'recovery-code'; input: { code: string } | { method: string } }
  | { type: 'sms-code'; input: { code: string } | { resend: true } | { method: string } }
  | { type: 'new-password'; input: { password: string } };

interface Context extends FactorChallengeHost, InboxProofHost {
  settings: Settings;
  loginHint?: string;
  email?: string;
  /** What the run proved beyond the inbox, for the session opened at its end (RFC 8176 amr). */
  proven: { aal: 1 | 2; amr: string[] };
  /** The new password's argon2id hash (the step API hashed it), until it is set. */
  passwordHash?: string;
  session?: IssuedSession;
  result?: JourneyResult;
  stepError?: StepError;
  failure?: JourneyFailure;
}

const inbox = inboxProof({ purpose: 'recovery', link: true });
const inboxCode = inbox.code;
const secondFactor = secondFactorChallenges();
/** The inbox code alone: a one-time code, one factor at most. */
const INBOX = { aal: 1, amr: ['otp'] } as const;
/** A TOTP or a recovery code beside the inbox: each one factor, so still aal 1 (no password proven). */
const CODE = { aal: 1, amr: ['otp'] } as const;
/** A passkey with user verification: two factors by itself. */
const PASSKEY = { aal: 2, amr: ['hwk', 'user', 'mfa'] } as const;
/** A texted code: a restricted authenticator, one factor. */
const SMS = { aal: 1, amr: ['sms'] } as const;
/** Factors stronger than a texted code: with one, the phone is no way back (NIST SP 800-63B-4). */
const STRONGER_THAN_SMS = ['webauthn', 'totp'];

export const recoveryMachine = journeySetup({
  fragments: [inboxCode, secondFactor],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    findRecoveryAccount: activity('findRecoveryAccount'),
    completeRecovery: activity('completeRecovery'),
    createSession: activity('createSession'),
    deliverMessage: activity('deliverMessage'),
  },
  guards: {
    // Any factor the account has is asked for, recovery codes included: recovery never bypasses it.
    hasFactor: ({ event }) => outputOf('findRecoveryAccount', event).factors.length > 0,
    hasNotice: ({ context }) => context.factorNotice !== undefined,
  },
  actions: {
    codeVerified: assign({ proven: { aal: CODE.aal, amr: [...CODE.amr] } }),
    passkeyVerified: assign({ proven: { aal: PASSKEY.aal, amr: [...PASSKEY.amr] } }),
    smsVerified: assign({ proven: { aal: SMS.aal, amr: [...SMS.amr] } }),
    // A texted code is never the way back into an account that has a stronger factor: it is not
    // offered, and the challenges switch only to factors in this list.
    accountFound: assign(({ event }) => {
      const { userId, factors } = outputOf('findRecoveryAccount', event);
      const stronger = factors.some((factor) => STRONGER_THAN_SMS.includes(factor));
      return {
        userId,
        factors: stronger ? factors.filter((factor) => factor !== 'sms') : factors,
        stepError: undefined,
      };
    }),
    sessionOpened: assign(({ context, event }) => {
      const session = outputOf('createSession', event);
      return { session, result: results.newSession({ id: context.userId as string }, session) };
    }),
  },
}).createMachine({
  id: 'recovery',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    ...codeChallengeHost(input),
    ...(input.start.login_hint ? { loginHint: input.start.login_hint } : {}),
    factors: [],
    proven: { aal: INBOX.aal, amr: [...INBOX.amr] },
  }),
  initial: 'email',
  states: {
    ...inbox.states('findingAccount'),
    findingAccount: {
      invoke: {
        src: 'findRecoveryAccount',
        input: ({ context }) => ({ challengeId: context.codeChallenge?.challengeId as string }),
        onDone: [
          { guard: 'hasFactor', target: 'secondFactor', actions: 'accountFound' },
          { target: 'newPassword', actions: 'accountFound' },
        ],
        onError: {
          target: 'failed',
          actions: { type: 'failWith', params: { code: 'recovery_not_completed' } },
        },
      },
    },
    // The account's passkey first, then its TOTP, then a recovery code; the customer may turn to
    // another factor the account has. Never an email code: the inbox is proven already.
    secondFactor: secondFactor.challenge({
      verified: '#recovery.newPassword',
      failed: '#recovery.factorNotChecked',
    }),
    // A factor that could not be checked (its activity out of retries) fails the recovery as a
    // recovery, not with the sign-in's code the challenges carry.
    factorNotChecked: {
      entry: { type: 'failWith', params: { code: 'recovery_not_completed' } },
      always: 'failed',
    },
    newPassword: {
      on: {
        'new-password': {
          target: 'completing',
          actions: assign(({ event }) => ({
            passwordHash: event.input.password,
            stepError: undefined,
          })),
        },
      },
    },
    completing: {
      invoke: {
        src: 'completeRecovery',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          challengeId: context.codeChallenge?.challengeId as string,
          passwordHash: context.passwordHash as string,
          ...(context.locales ? { locales: context.locales } : {}),
        }),
        onDone: { target: 'openingSession', actions: assign({ passwordHash: undefined }) },
        onError: {
          target: 'failed',
          actions: [
            assign({ passwordHash: undefined }),
            { type: 'failWith', params: { code: 'recovery_not_completed' } },
          ],
        },
      },
    },
    // Opened after every other session ended: the run's own is the only one left.
    openingSession: openingSession((context: Context) => ({
      journeyId: context.journeyId,
      userId: context.userId as string,
      aal: context.proven.aal,
      amr: context.proven.amr,
    })),
    // Signed in and answered; the run lives on until a used recovery code's notice is out.
    tellingOwner: deliveringNotice((context) => context.factorNotice),
    ...journeyEnds,
  },
});

export const recovery = defineJourney({
  id: 'recovery',
  version: 1,
  title: 'Recover an account: the inbox, the second factor, then a new password',
  machine: recoveryMachine,
  settings,
  start: { input: addressStart },
  steps: {
    email: inbox.step,
    newPassword: step<Context>({
      name: 'new-password',
      input: newPasswordInput,
      data: (context) => ({
        passwordPolicy: { minLength: context.settings.passwordMinLength, maxLength: 256 },
      }),
    }),
  },
  fragments: {
    verifyingInbox: inboxCode,
    ...secondFactor.fragments('secondFactor'),
  },
});
