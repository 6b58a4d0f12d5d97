import { assign, raise } from 'xstate';
import { z } from 'zod';
import {
  activity,
  type Fragment,
  type FragmentOutcome,
  type JourneyActivityError,
  journeyFailure,
  mergeImplementations,
  prefixed,
  prefixOf,
  rejectAt,
  type StepError,
  secret,
  step,
  stepError,
} from '../../src/journey-kit/index.js';

/**
 * Second-factor challenges, written once for every journey that asks for one (sign-in, step-up):
 * an authenticator app's code (TOTP) and a recovery code. Each asks for its code at its step and
 * has an activity check it; a wrong, reused or throttled code stays at the step with its reason.
 * At the step the customer may choose another factor their account has (`{ method }`): the
 * challenge then ends `{ outcome: 'switch', method }` and the journey moves to that factor's.
 * A recovery code's use is told to its owner by email: the challenge ends `{ outcome: 'verified',
 * notice }` and the journey delivers it once the customer is signed in.
 */

/** The second factors an account can hold, as `whoami` and the steps name them. */
export const secondFactorMethods = ['webauthn', 'totp', 'sms', 'recovery_code'] as const;

// WebAuthn's JSON encodings of a browser's answers (W3C WebAuthn L3 §5.1, toJSON()): what the
// verifying activity needs, every binary field base64url. Unknown members are dropped, not refused:
// browsers add members as the standard grows.
const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'base64url');
const credentialCommon = {
  id: base64url.min(1).max(1024),
  rawId: base64url.min(1).max(1024),
  type: z.literal('public-key'),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
};
/** A passkey's assertion (navigator.credentials.get() as JSON). */
export const passkeyAssertion = z.object({
  ...credentialCommon,
  response: z.object({
    clientDataJSON: base64url.max(4096),
    authenticatorData: base64url.max(4096),
    signature: base64url.max(1024),
    userHandle: base64url.max(128).optional(),
  }),
});
/** A new passkey (navigator.credentials.create() as JSON). */
export const passkeyAttestation = z.object({
  ...credentialCommon,
  response: z.object({
    clientDataJSON: base64url.max(4096),
    attestationObject: base64url.max(8192),
    transports: z.array(z.string().max(32)).max(8).optional(),
    authenticatorData: base64url.max(4096).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url.max(1024).optional(),
  }),
});
export type SecondFactorMethod = (typeof secondFactorMethods)[number];

/** What a journey's context must hold to include a factor challenge. */
export interface FactorChallengeHost {
  journeyId: string;
  /** The account asked, known once the first factor passed. */
  userId?: string;
  /** The second factors the account has: the others a challenge offers. */
  factors: string[];
  locales?: string[];
  /** Who started the run (input.requester): code guesses count per requester too. */
  requester?: string;
  stepError?: StepError;
  /** The factor the customer chose instead, and a notice to deliver after the sign-in. */
  factorSwitch?: string;
  factorNotice?: string;
  /** The browser's options for the passkey ceremony under way (public: a challenge, ids). */
  passkeyOptions?: unknown;
  /** The code texted to the account's phone: its challenge, expiry and the phone, masked. */
  smsChallenge?: { challengeId: string; messageId: string; expiresAt: string; phone: string };
}

// biome-ignore lint/suspicious/noExplicitAny: implementations run against whichever journey includes them
type Args = { context: FactorChallengeHost; event: any };

/**
 * What every factor challenge shares: turning to another factor the account has, a refusal shown
 * at the step (at `field`), and its three ends. `prefix` names the implementations (`totp.`).
 */
function challengeParts<TPrefix extends string>(
  prefix: TPrefix,
  method: SecondFactorMethod,
  field: '/code' | '/credential',
) {
  const p: string = prefix;
  const others = (context: FactorChallengeHost) =>
    context.factors.filter((factor) => factor !== method);
  return {
    others,
    awaiting: (stepName: string) => ({
      on: {
        [stepName]: [
          {
            guard: `${p}choosesAvailable`,
            target: 'switching',
            // The refusal shown at this factor's step is not the next factor's.
            actions: assign({
              factorSwitch: ({ event }: Args) => event.input.method,
              stepError: undefined,
            }),
          },
          { guard: `${p}choosesOther`, actions: `${p}rejectUnavailable` },
          { target: 'checking', actions: `${p}clearStepError` },
        ],
      },
    }),
    ends: {
      switching: {
        type: 'final',
        output: ({ context }: Args): FragmentOutcome => ({
          outcome: 'switch',
          method: context.factorSwitch as string,
        }),
      },
      verified: {
        type: 'final',
        output: ({ context }: Args): FragmentOutcome => ({
          outcome: 'verified',
          ...(context.factorNotice ? { notice: context.factorNotice } : {}),
        }),
      },
      failed: {
        type: 'final',
        output: { outcome: 'failed', error: journeyFailure('sign_in_not_completed') },
      },
    },
    guards: prefixed(prefix, {
      choosesOther: ({ event }: Args) => typeof event.input?.method === 'string',
      choosesAvailable: ({ context, event }: Args) => others(context).includes(event.input?.method),
      refused: ({ event }: Args) => (event.error as JourneyActivityError).business,
    }),
    actions: prefixed(prefix, {
      clearStepError: assign({ stepError: undefined }),
      rejectUnavailable: assign({
        stepError: stepError('factor_not_enrolled', { path: '/method' }),
      }),
      reject: rejectAt(field, { withDetail: true }),
    }),
  };
}

interface CodeFactorOptions<
  TName extends string,
  TCheck extends 'verifyTotp' | 'verifyRecoveryCode',
> {
  name: TName;
  method: SecondFactorMethod;
  step: string;
  check: TCheck;
  code: z.ZodType<string>;
  data: Record<string, unknown>;
}

/** A factor proven by a typed code, checked by one activity. */
function codeFactorChallenge<
  TName extends string,
  TCheck extends 'verifyTotp' | 'verifyRecoveryCode',
>(options: CodeFactorOptions<TName, TCheck>) {
  const prefix = prefixOf(options.name);
  const p: string = prefix;
  const parts = challengeParts(prefix, options.method, '/code');
  const state = {
    initial: 'awaiting',
    states: {
      awaiting: parts.awaiting(options.step),
      checking: {
        invoke: {
          src: options.check,
          input: ({ context, event }: Args) => ({
            journeyId: context.journeyId,
            userId: context.userId as string,
            code: event.input.code,
            ...(context.locales ? { locales: context.locales } : {}),
            ...(context.requester ? { requester: context.requester } : {}),
          }),
          onDone: {
            target: 'verified',
            actions: assign({
              factorNotice: ({ event }: Args) => event.output?.messageId,
              stepError: undefined,
            }),
          },
          onError: [
            { guard: `${p}refused`, target: 'awaiting', actions: `${p}reject` },
            { target: 'failed' },
          ],
        },
      },
      ...parts.ends,
    },
  };
  // A computed key is typed as any string: the record has the one, `options.check`.
  const actors = { [options.check]: activity(options.check) } as Record<
    TCheck,
    ReturnType<typeof activity<TCheck>>
  >;
  const implementations = { actors, guards: parts.guards, actions: parts.actions, delays: {} };
  const fragment: Fragment<typeof implementations> = {
    name: options.name,
    state,
    steps: {
      awaiting: step<FactorChallengeHost>({
        name: options.step,
        input: z.union([
          z.strictObject({ code: options.code }),
          z.strictObject({ method: z.enum(secondFactorMethods) }),
        ]),
        data: (context) => ({ ...options.data, otherFactors: parts.others(context) }),
      }),
    },
    implementations,
  };
  return fragment;
}

/**
 * A passkey as a second factor (after the password): options for the account's passkeys, then
 * the assertion, checked by `verifyPasskey`. A refused assertion spends the challenge, so the
 * challenge begins again with a fresh one.
 */
export function passkeyChallenge() {
  const p = 'passkey.';
  const parts = challengeParts(p, 'webauthn', '/credential');
  const state = {
    initial: 'beginning',
    states: {
      beginning: {
        invoke: {
          src: 'beginPasskeySignIn',
          input: ({ context }: Args) => ({
            journeyId: context.journeyId,
            userId: context.userId as string,
          }),
          onDone: {
            target: 'awaiting',
            actions: assign({ passkeyOptions: ({ event }: Args) => event.output.options }),
          },
          onError: 'failed',
        },
      },
      awaiting: parts.awaiting('passkey'),
      checking: {
        invoke: {
          src: 'verifyPasskey',
          input: ({ context, event }: Args) => ({
            journeyId: context.journeyId,
            userId: context.userId as string,
            credential: event.input.credential,
          }),
          onDone: 'verified',
          onError: [
            { guard: `${p}refused`, target: 'beginning', actions: `${p}reject` },
            { target: 'failed' },
          ],
        },
      },
      ...parts.ends,
    },
  };
  const implementations = {
    actors: {
      beginPasskeySignIn: activity('beginPasskeySignIn'),
      verifyPasskey: activity('verifyPasskey'),
    },
    guards: parts.guards,
    actions: parts.actions,
    delays: {},
  };
  const fragment: Fragment<typeof implementations> = {
    name: 'passkey',
    state,
    steps: {
      awaiting: step<FactorChallengeHost>({
        name: 'passkey',
        input: z.union([
          z.strictObject({ credential: passkeyAssertion }),
          z.strictObject({ method: z.enum(secondFactorMethods) }),
        ]),
        data: (context) => ({
          factor: 'webauthn',
          options: context.passkeyOptions,
          otherFactors: parts.others(context),
        }),
      }),
    },
    implementations,
  };
  return fragment;
}

/** An authenticator app's code (RFC 6238), checked by `verifyTotp`: each accepted once. */
export const totpChallenge = () =>
  codeFactorChallenge({
    name: 'totp',
    method: 'totp',
    step: 'totp',
    check: 'verifyTotp',
    code: secret.oneTimeCode(6),
    data: { factor: 'totp', codeLength: 6 },
  });

/** One of the account's recovery codes, checked by `verifyRecoveryCode`: each works once. */
export const recoveryCodeChallenge = () =>
  codeFactorChallenge({
    name: 'recovery-code',
    method: 'recovery_code',
    step: 'recovery-code',
    check: 'verifyRecoveryCode',
    code: secret.recoveryCode(),
    data: { factor: 'recovery_code' },
  });

/**
 * A code texted to the account's phone (a restricted authenticator, NIST SP 800-63B-4 §3.1.3.3):
 * texted by `sendSmsCode`, checked by `verifySmsCode`. `{ resend: true }` texts a new one (the
 * SMS defences bound how many); a text they refuse shows at the step (429 with when to come back),
 * where the customer may turn to another factor the account has.
 */
export function smsChallenge() {
  const p = 'sms.';
  const parts = challengeParts(p, 'sms', '/code');
  // Deep states reach the challenge's own ends through events raised to its root (fragments
  // target relatively), as the code challenge's do.
  const to = (end: 'done' | 'fail' | 'switch' | 'resend') => raise({ type: `${p}${end}` });
  /** At the step: a resend, a switch, or a code (`checking`; none while no text is live). */
  const atStep = (checking?: string) => [
    { guard: `${p}wantsResend`, actions: [`${p}clearStepError`, to('resend')] },
    ...(parts.awaiting('sms-code').on['sms-code'] ?? []).map((transition) =>
      'target' in transition && transition.target === 'switching'
        ? { guard: transition.guard, actions: [transition.actions, to('switch')] }
        : 'target' in transition
          ? // No text went: a code is answered with why (the refusal stays), and checks nothing.
            checking
            ? { ...transition, target: checking }
            : {}
          : transition,
    ),
  ];
  const state = {
    initial: 'sending',
    on: {
      [`${p}done`]: '.verified',
      [`${p}fail`]: '.failed',
      [`${p}switch`]: '.switching',
      [`${p}resend`]: '.sending',
    },
    states: {
      sending: {
        invoke: {
          src: 'sendSmsCode',
          input: ({ context }: Args) => ({
            journeyId: context.journeyId,
            userId: context.userId as string,
            ...(context.requester ? { requester: context.requester } : {}),
            ...(context.locales ? { locales: context.locales } : {}),
          }),
          onDone: {
            target: 'live',
            actions: assign({ smsChallenge: ({ event }: Args) => event.output }),
          },
          onError: [
            { guard: `${p}refused`, target: 'unsent', actions: `${p}rejectSend` },
            { target: 'failed' },
          ],
        },
      },
      // Refused before any text went (its limits): the step says when to come back.
      unsent: { on: { 'sms-code': atStep() } },
      live: {
        // Delivery runs while the customer waits at the step, once per text.
        invoke: {
          src: 'deliverMessage',
          input: ({ context }: Args) => ({ messageId: context.smsChallenge?.messageId as string }),
          // Out of retries: the message stays in the outbox, marked; the customer may resend.
          onError: {},
        },
        initial: 'awaiting',
        states: {
          awaiting: { on: { 'sms-code': atStep('checking') } },
          checking: {
            invoke: {
              src: 'verifySmsCode',
              input: ({ context, event }: Args) => ({
                userId: context.userId as string,
                challengeId: context.smsChallenge?.challengeId ?? '',
                code: event.input.code,
              }),
              onDone: { actions: [assign({ stepError: undefined }), to('done')] },
              onError: [
                { guard: `${p}refused`, target: 'awaiting', actions: `${p}reject` },
                { actions: to('fail') },
              ],
            },
          },
        },
      },
      ...parts.ends,
    },
  };
  const implementations = {
    actors: {
      sendSmsCode: activity('sendSmsCode'),
      verifySmsCode: activity('verifySmsCode'),
      deliverMessage: activity('deliverMessage'),
    },
    guards: {
      ...parts.guards,
      ...prefixed('sms.', {
        wantsResend: ({ event }: Args) => event.input?.resend === true,
      }),
    },
    actions: {
      ...parts.actions,
      ...prefixed('sms.', { rejectSend: rejectAt('', { withDetail: true }) }),
    },
    delays: {},
  };
  const smsStep = smsStepOf(parts.others);
  const fragment: Fragment<typeof implementations> = {
    name: 'sms',
    state,
    steps: {
      'live.awaiting': smsStep,
      unsent: smsStep,
    },
    implementations,
  };
  return fragment;
}

/** The step a texted code is asked at, whether or not its text went. */
const smsStepOf = (others: (context: FactorChallengeHost) => string[]) =>
  step<FactorChallengeHost>({
    name: 'sms-code',
    input: z.union([
      z.strictObject({ code: secret.oneTimeCode(6) }),
      z.strictObject({ resend: z.literal(true) }),
      z.strictObject({ method: z.enum(secondFactorMethods) }),
    ]),
    data: (context) => ({
      factor: 'sms',
      phone: context.smsChallenge?.phone,
      expiresAt: context.smsChallenge?.expiresAt,
      codeLength: 6,
      otherFactors: others(context),
    }),
  });

/**
 * The second-factor challenges as a journey places them (login@1, step-up@1, recovery@1, under one
 * state): passkey, TOTP, a texted code, recovery code, each able to hand over to the others.
 * `verified` and `failed` are where the journey goes next; it names three actions of its own,
 * `passkeyVerified`, `codeVerified` and `smsVerified`, for what each kind proves.
 */
export function secondFactorChallenges() {
  const passkey = passkeyChallenge();
  const totp = totpChallenge();
  const recoveryCode = recoveryCodeChallenge();
  const sms = smsChallenge();
  const switchTo = (method: SecondFactorMethod, target: string) => ({
    guard: { type: 'fragmentSwitched', params: { method } },
    target,
  });
  // Which factors the account has (`context.factors`): where `challenge` begins, and what a
  // journey choosing a factor of its own (step-up@1) asks.
  const accountFactors = {
    implementations: {
      actors: {},
      guards: {
        hasPasskey: ({ context }: Args) => context.factors.includes('webauthn'),
        hasTotp: ({ context }: Args) => context.factors.includes('totp'),
        hasSms: ({ context }: Args) => context.factors.includes('sms'),
      },
      actions: {},
      delays: {},
    },
  };
  return {
    /** For `journeySetup({ fragments })`: the challenges' implementations, and the factor guards. */
    implementations: mergeImplementations([passkey, totp, sms, recoveryCode, accountFactors]),
    /** For `defineJourney({ fragments })`, placed under the state at `at`. */
    fragments: (at: string): Record<string, Fragment> => ({
      [`${at}.passkey`]: passkey,
      [`${at}.totp`]: totp,
      [`${at}.sms`]: sms,
      [`${at}.recoveryCode`]: recoveryCode,
    }),
    // Typed loosely, as a fragment's state is: the journey's setup() names what they refer to.
    states: (targets: { verified: string; failed: string }): Record<string, Fragment['state']> => {
      const failed = {
        guard: 'fragmentFailed',
        target: targets.failed,
        actions: 'failWithFragmentError',
      };
      return {
        passkey: {
          ...passkey.state,
          onDone: [
            failed,
            switchTo('totp', 'totp'),
            switchTo('sms', 'sms'),
            switchTo('recovery_code', 'recoveryCode'),
            { target: targets.verified, actions: 'passkeyVerified' },
          ],
        },
        totp: {
          ...totp.state,
          onDone: [
            failed,
            switchTo('sms', 'sms'),
            switchTo('recovery_code', 'recoveryCode'),
            switchTo('webauthn', 'passkey'),
            { target: targets.verified, actions: 'codeVerified' },
          ],
        },
        sms: {
          ...sms.state,
          onDone: [
            failed,
            switchTo('totp', 'totp'),
            switchTo('recovery_code', 'recoveryCode'),
            switchTo('webauthn', 'passkey'),
            { target: targets.verified, actions: 'smsVerified' },
          ],
        },
        recoveryCode: {
          ...recoveryCode.state,
          onDone: [
            failed,
            switchTo('totp', 'totp'),
            switchTo('sms', 'sms'),
            switchTo('webauthn', 'passkey'),
            { target: targets.verified, actions: 'codeVerified' },
          ],
        },
      };
    },
    /**
     * The whole challenge as one state: the account's strongest factor first (a passkey, then
     * TOTP, then a texted code; a recovery code when it has none of them), then the challenges.
     */
    challenge(targets: { verified: string; failed: string }): Fragment['state'] {
      return {
        initial: 'choosing',
        states: {
          choosing: {
            always: [
              { guard: 'hasPasskey', target: 'passkey' },
              { guard: 'hasTotp', target: 'totp' },
              { guard: 'hasSms', target: 'sms' },
              { target: 'recoveryCode' },
            ],
          },
          ...this.states(targets),
        },
      };
    },
  };
}
