import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { assign } from 'xstate';
import { z } from 'zod';
import {
  activity,
  defineJourney,
  failOnActivityError,
  type JourneyFailure,
  type JourneyInput,
  journeyEnds,
  journeySetup,
  maxAgeSetting,
  outputOf,
  phoneField,
  rejectAt,
  results,
  type SessionRef,
  type StepError,
  secret,
  startFields,
  step,
} from '../src/journey-kit/index.js';
import {
  type CodeChallengeHost,
  codeChallenge,
  codeChallengeHost,
  codeChallengeSettings,
} from './fragments/code-challenge.js';
import { passkeyAttestation } from './fragments/factor-challenges.js';

/**
 * Adding a second factor to a signed-in account: an authenticator app (TOTP). The key is made and
 * sealed by an activity; the customer sees it (QR code, otpauth URI, the key in base32) by vault
 * reference only, so it never enters the run's history, and proves the app works with a code
 * before the key counts as a factor. With the account's first factor come ten recovery codes,
 * shown once; started with `factor: "recovery_codes"`, the journey makes a new set, which revokes
 * the old one.
 */

const settings = codeChallengeSettings.extend({
  // A new factor changes how the account is protected: it needs a recent sign-in (OIDC max_age),
  // at the account's highest level (aal 2 once it has a TOTP key or a passkey).
  maxAgeSeconds: maxAgeSetting(),
});
type Settings = z.infer<typeof settings>;

const start = z.strictObject({
  factor: z.enum(['totp', 'passkey', 'sms', 'recovery_codes']).default('totp'),
  return_to: startFields.returnTo().optional(),
  ui_locales: startFields.uiLocales().optional(),
});
type Start = z.infer<typeof start>;

const confirmInput = z.strictObject({ code: secret.oneTimeCode(6) });
const savedInput = z.strictObject({ saved: z.literal(true) });
const passkeyInput = z.strictObject({ credential: passkeyAttestation });
const phoneInput = z.strictObject({ phone: phoneField() });

type Events =
  | { type: 'confirm-totp'; input: { code: string } }
  | { type: 'register-passkey'; input: { credential: RegistrationResponseJSON } }
  | { type: 'recovery-codes'; input: { saved: true } }
  | { type: 'phone'; input: { phone: string } }
  | { type: 'verify-phone'; input: { code: string } | { resend: true } };

type SecretShown = { $secret: string };

interface Context extends CodeChallengeHost {
  journeyId: string;
  settings: Settings;
  session: SessionRef;
  locales?: string[];
  factor: 'totp' | 'passkey' | 'sms' | 'recovery_codes';
  /** The number being enrolled (E.164, stored so by the step API). */
  phone?: string;
  /** The browser's options for navigator.credentials.create() (public: a challenge, ids). */
  passkeyOptions?: unknown;
  recoveryCodes?: { codes: SecretShown[]; count: number };
  enrolment?: {
    credentialId: string;
    otpauthUri: SecretShown;
    qrCode: SecretShown;
    secret: SecretShown;
  };
  stepError?: StepError;
  failure?: JourneyFailure;
}

/** A phone number for text-message codes, proven by one before it counts as a factor. */
const phoneCode = codeChallenge({
  name: 'phone-code',
  channel: 'sms',
  step: 'verify-phone',
  purpose: 'phone-enrolment',
  template: 'phone-verification-code',
  recipient: (context: Context) => context.phone as string,
  recipientField: 'phone',
});

export const mfaEnrolmentMachine = journeySetup({
  fragments: [phoneCode],
  types: {
    context: {} as Context,
    events: {} as Events,
    input: {} as JourneyInput<Settings, Start>,
  },
  actors: {
    beginTotpEnrolment: activity('beginTotpEnrolment'),
    confirmTotp: activity('confirmTotp'),
    beginPasskeyRegistration: activity('beginPasskeyRegistration'),
    finishPasskeyRegistration: activity('finishPasskeyRegistration'),
    issueRecoveryCodes: activity('issueRecoveryCodes'),
    enrolPhone: activity('enrolPhone'),
    forgetRecoveryCodes: activity('forgetRecoveryCodes'),
  },
  guards: {
    wantsRecoveryCodes: ({ context }) => context.factor === 'recovery_codes',
    wantsPasskey: ({ context }) => context.factor === 'passkey',
    wantsSms: ({ context }) => context.factor === 'sms',
    // confirmTotp and finishPasskeyRegistration both answer whether it was the account's first.
    firstFactor: ({ event }) => outputOf('confirmTotp', event).firstFactor,
  },
  actions: {
    rejectPasskey: rejectAt('/credential'),
    rejectCode: rejectAt('/code'),
  },
}).createMachine({
  id: 'mfaEnrolment',
  output: ({ event }) => event.output,
  context: ({ input }) => ({
    ...codeChallengeHost(input),
    session: input.session as SessionRef,
    factor: input.start.factor ?? 'totp',
  }),
  initial: 'choosing',
  states: {
    choosing: {
      always: [
        { guard: 'wantsRecoveryCodes', target: 'issuingCodes' },
        { guard: 'wantsPasskey', target: 'passkey' },
        { guard: 'wantsSms', target: 'phone' },
        { target: 'beginning' },
      ],
    },
    // A passkey: options for navigator.credentials.create(), then the browser's answer. A refused
    // answer spends the challenge: the ceremony begins again with a fresh one.
    passkey: {
      initial: 'beginning',
      states: {
        beginning: {
          invoke: {
            src: 'beginPasskeyRegistration',
            input: ({ context }) => ({ journeyId: context.journeyId, session: context.session }),
            onDone: {
              target: 'awaiting',
              actions: assign({ passkeyOptions: ({ event }) => event.output.options }),
            },
            onError: [
              {
                guard: 'businessFailure',
                target: '#mfaEnrolment.failed',
                actions: 'failWithActivityError',
              },
              {
                target: '#mfaEnrolment.failed',
                actions: { type: 'failWith', params: { code: 'sign_in_not_completed' } },
              },
            ],
          },
        },
        awaiting: {
          on: {
            'register-passkey': {
              target: 'registering',
              actions: assign({ stepError: undefined }),
            },
          },
        },
        registering: {
          invoke: {
            src: 'finishPasskeyRegistration',
            input: ({ context, event }) => ({
              journeyId: context.journeyId,
              session: context.session,
              credential: (event as Extract<Events, { type: 'register-passkey' }>).input.credential,
              ...(context.locales ? { locales: context.locales } : {}),
            }),
            onDone: [
              { guard: 'firstFactor', target: '#mfaEnrolment.issuingCodes' },
              { target: '#mfaEnrolment.completed' },
            ],
            onError: [
              {
                guard: 'sessionLost',
                target: '#mfaEnrolment.failed',
                actions: 'failWithActivityError',
              },
              { guard: 'businessFailure', target: 'beginning', actions: 'rejectPasskey' },
              {
                target: '#mfaEnrolment.failed',
                actions: { type: 'failWith', params: { code: 'sign_in_not_completed' } },
              },
            ],
          },
        },
      },
    },
    beginning: {
      invoke: {
        src: 'beginTotpEnrolment',
        input: ({ context }) => ({ journeyId: context.journeyId, session: context.session }),
        onDone: {
          target: 'confirmTotp',
          actions: assign({ enrolment: ({ event }) => event.output }),
        },
        onError: failOnActivityError('sign_in_not_completed'),
      },
    },
    confirmTotp: {
      on: {
        'confirm-totp': { target: 'confirming', actions: assign({ stepError: undefined }) },
      },
    },
    confirming: {
      invoke: {
        src: 'confirmTotp',
        input: ({ context, event }) => ({
          journeyId: context.journeyId,
          session: context.session,
          credentialId: context.enrolment?.credentialId as string,
          code: (event as Extract<Events, { type: 'confirm-totp' }>).input.code,
          ...(context.locales ? { locales: context.locales } : {}),
        }),
        onDone: [{ guard: 'firstFactor', target: 'issuingCodes' }, { target: 'completed' }],
        onError: [
          { guard: 'sessionLost', target: 'failed', actions: 'failWithActivityError' },
          { guard: 'businessFailure', target: 'confirmTotp', actions: 'rejectCode' },
          {
            target: 'failed',
            actions: { type: 'failWith', params: { code: 'sign_in_not_completed' } },
          },
        ],
      },
    },
    // A phone for text-message codes: the number, a code sent to it, then the factor. A number or a
    // send the SMS defences refuse is shown at the number's step (422, or 429 with Retry-After).
    phone: {
      on: {
        phone: {
          target: 'verifyingPhone',
          actions: assign(({ event }) => ({ phone: event.input.phone, stepError: undefined })),
        },
      },
    },
    verifyingPhone: {
      ...phoneCode.state,
      onDone: [
        { guard: 'fragmentRefused', target: 'phone', actions: 'rejectWithFragmentError' },
        { guard: 'fragmentFailed', target: 'failed', actions: 'failWithFragmentError' },
        { target: 'enrollingPhone' },
      ],
    },
    enrollingPhone: {
      invoke: {
        src: 'enrolPhone',
        input: ({ context }) => ({
          journeyId: context.journeyId,
          session: context.session,
          challengeId: context.codeChallenge?.challengeId as string,
          ...(context.locales ? { locales: context.locales } : {}),
        }),
        // A restricted factor (NIST SP 800-63B-4 §3.1.3.3): no recovery codes stand in for it.
        onDone: 'completed',
        onError: failOnActivityError('sign_in_not_completed'),
      },
    },
    issuingCodes: {
      invoke: {
        src: 'issueRecoveryCodes',
        input: ({ context }) => ({ journeyId: context.journeyId, session: context.session }),
        onDone: {
          target: 'recoveryCodes',
          actions: assign({ recoveryCodes: ({ event }) => event.output }),
        },
        // The session ended, or the account has no strong factor for codes to stand in for.
        onError: failOnActivityError('sign_in_not_completed'),
      },
    },
    // Shown on this step's views until the customer says they are saved, then never again.
    recoveryCodes: { on: { 'recovery-codes': 'forgettingCodes' } },
    forgettingCodes: {
      invoke: {
        src: 'forgetRecoveryCodes',
        input: ({ context }) => ({ journeyId: context.journeyId }),
        onDone: 'completed',
        onError: 'completed',
      },
    },
    completed: { type: 'final', output: () => results.none() },
    failed: journeyEnds.failed,
  },
  fragments: { verifyingPhone: phoneCode },
});

export const mfaEnrolment = defineJourney({
  id: 'mfa-enrolment',
  version: 1,
  title:
    'Add a second factor (an authenticator app, a passkey, a phone for text codes), or make new recovery codes',
  machine: mfaEnrolmentMachine,
  settings,
  start: {
    input: start,
    session: (current) => ({ maxAgeSeconds: current.maxAgeSeconds, accountAal: true }),
  },
  steps: {
    confirmTotp: step<Context>({
      name: 'confirm-totp',
      input: confirmInput,
      // Shown by reference: the step API reveals them in this step's views only.
      data: (context) => ({
        factor: 'totp',
        otpauthUri: context.enrolment?.otpauthUri,
        qrCode: context.enrolment?.qrCode,
        secret: context.enrolment?.secret,
        codeLength: 6,
      }),
    }),
    'passkey.awaiting': step<Context>({
      name: 'register-passkey',
      input: passkeyInput,
      data: (context) => ({ factor: 'webauthn', options: context.passkeyOptions }),
    }),
    phone: step<Context>({
      name: 'phone',
      input: phoneInput,
      data: () => ({ factor: 'sms' }),
    }),
    recoveryCodes: step<Context>({
      name: 'recovery-codes',
      input: savedInput,
      data: (context) => ({
        codes: context.recoveryCodes?.codes,
        count: context.recoveryCodes?.count,
      }),
    }),
  },
  fragments: { verifyingPhone: phoneCode },
});
