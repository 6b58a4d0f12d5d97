import type { JourneyModules } from '../src/journey-kit/journey-modules.js';

/**
 * Every journey the engine runs, by `id@version`. Keep old versions here while runs of them are
 * open. Each is loaded on demand: a workflow run evaluates only its own journey's module (the
 * workflow bundle holds them all: `eager` keeps webpack from splitting them into chunks to fetch).
 */
export const journeyModules: JourneyModules = {
  'registration@1': () =>
    import(/* webpackMode: "eager" */ './registration-v1.js').then(
      (module) => module.registrationV1,
    ),
  'registration@2': () =>
    import(/* webpackMode: "eager" */ './registration-v2.js').then(
      (module) => module.registrationV2,
    ),
  'registration@3': () =>
    import(/* webpackMode: "eager" */ './registration.js').then((module) => module.registration),
  'login@1': () => import(/* webpackMode: "eager" */ './login.js').then((module) => module.login),
  'social-login@1': () =>
    import(/* webpackMode: "eager" */ './social-login.js').then((module) => module.socialLogin),
  'mfa-enrolment@1': () =>
    import(/* webpackMode: "eager" */ './mfa-enrolment.js').then((module) => module.mfaEnrolment),
  'step-up@1': () =>
    import(/* webpackMode: "eager" */ './step-up.js').then((module) => module.stepUp),
  'factor-removal@1': () =>
    import(/* webpackMode: "eager" */ './factor-removal.js').then((module) => module.factorRemoval),
  'passkey-reinstatement@1': () =>
    import(/* webpackMode: "eager" */ './passkey-reinstatement.js').then(
      (module) => module.passkeyReinstatement,
    ),
  'email-change@1': () =>
    import(/* webpackMode: "eager" */ './email-change.js').then((module) => module.emailChange),
  'recovery@1': () =>
    import(/* webpackMode: "eager" */ './recovery.js').then((module) => module.recovery),
  'factor-reset@1': () =>
    import(/* webpackMode: "eager" */ './factor-reset.js').then((module) => module.factorReset),
  'phone-change@1': () =>
    import(/* webpackMode: "eager" */ './phone-change.js').then((module) => module.phoneChange),
  'progressive-profiling@1': () =>
    import(/* webpackMode: "eager" */ './progressive-profiling.js').then(
      (module) => module.progressiveProfiling,
    ),
  'consent@1': () =>
    import(/* webpackMode: "eager" */ './consent.js').then((module) => module.consent),
  'erasure@1': () =>
    import(/* webpackMode: "eager" */ './erasure.js').then((module) => module.erasure),
  'newsletter@1': () =>
    import(/* webpackMode: "eager" */ './newsletter.js').then((module) => module.newsletter),
};
