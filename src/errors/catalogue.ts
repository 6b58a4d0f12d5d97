/**
 * The one error catalogue: every code an activity, a journey or the API can answer with, its HTTP
 * status, its default message and whether an app may show that message to the customer (`shown`)
 * or should show a generic one and log the rest. Codes are stable: apps and journeys switch on them.
 * Pure data, so journeys (inside the workflow sandbox) and the API share it.
 */
export interface ErrorSpec {
  status: number;
  message: string;
  shown: boolean;
}

const spec = (status: number, message: string, shown = true): ErrorSpec => ({
  status,
  message,
  shown,
});

export const errorCatalogue = {
  // The request itself.
  invalid_input: spec(422, 'The input is not valid'),
  unknown_field: spec(422, 'This field is not accepted here'),
  return_to_not_allowed: spec(422, 'This return address is not allowed'),
  // A field of the body, as its schema judges it (zod's issues, each given one of these codes).
  invalid_type: spec(422, 'This field has the wrong type'),
  invalid_format: spec(422, 'This field is not in the expected format'),
  invalid_value: spec(422, 'This value is not one of those allowed'),
  too_small: spec(422, 'This value is too short or too small'),
  too_big: spec(422, 'This value is too long or too large'),
  invalid_character: spec(
    422,
    'This text holds a character that cannot be kept (NUL, or half a surrogate pair)',
  ),
  malformed_json: spec(400, 'Request body is not valid JSON', false),
  bad_request: spec(400, 'The request could not be read', false),
  body_too_large: spec(413, 'Request body too large', false),
  unsupported_media_type: spec(415, 'Send the body as application/json', false),
  unsupported_charset: spec(415, 'Unsupported charset', false),
  unsupported_encoding: spec(415, 'Unsupported content encoding', false),
  not_found: spec(404, 'No such route', false),
  // RFC 9110 §15.5.20: the Host names a site this server does not serve (DNS rebinding).
  misdirected_request: spec(421, 'This server does not answer for this host name', false),
  method_not_allowed: spec(405, 'This address does not take this method', false),
  rate_limited: spec(429, 'Too many requests: slow down'),

  // Journeys and their runs.
  unknown_journey: spec(404, 'No such journey', false),
  journey_not_found: spec(404, 'No journey with this id', false),
  unknown_step: spec(404, 'No such step in this journey', false),
  step_not_current: spec(409, 'This is not the current step', false),
  journey_busy: spec(409, 'The journey is still working on an earlier submission: retry', false),
  journey_closed: spec(409, 'The journey has ended'),
  journey_expired: spec(410, 'This journey has expired: start a new one'),
  invalid_settings: spec(500, 'The journey is misconfigured', false),
  journey_machine_error: spec(500, 'The journey stopped on an internal error', false),
  journey_error: spec(500, 'The journey stopped on an internal error', false),
  journey_failed: spec(500, 'The journey failed', false),

  // Sessions (RFC 6750 bearer tokens; the requirements follow OIDC's max_age and acr).
  session_required: spec(401, 'Sign in first'),
  operator_key_required: spec(401, 'This needs the operator key', false),
  reauthentication_required: spec(403, 'Sign in again to continue'),
  stronger_authentication_required: spec(403, 'Confirm it is you with a second factor'),

  // One-time codes (any channel, any purpose).
  invalid_code: spec(422, 'That code is not right'),
  code_used: spec(422, 'That code was already used'),
  code_expired: spec(422, 'That code has expired: request a new one'),
  too_many_attempts: spec(422, 'Too many wrong codes: request a new one'),
  resend_limit: spec(429, 'No more codes can be sent here'),
  resend_cooldown: spec(429, 'Wait a moment before asking for a new code'),
  code_not_issued: spec(503, 'The code could not be issued'),
  code_not_checked: spec(503, 'The code could not be checked'),

  // Passwords (NIST SP 800-63B §5.1.1.2).
  password_too_short: spec(422, 'This password is too short'),
  password_too_long: spec(422, 'This password is too long'),
  password_common: spec(422, 'This password is too common'),
  password_weak: spec(422, 'This password is too easy to guess'),
  password_breached: spec(422, 'This password has appeared in a data breach: choose another'),

  // Signing in (NIST SP 800-63B §5.2.2 throttling; ASVS 2.2.1). The same answers whether or not an
  // account has the identifier.
  invalid_credentials: spec(422, 'That email address and password do not match'),
  sign_in_throttled: spec(429, 'Too many attempts: wait a moment, then try again'),
  password_locked: spec(
    403,
    'Too many wrong passwords: sign in another way, or reset your password',
  ),
  factor_throttled: spec(429, 'Too many wrong codes: wait a moment, then try again'),
  factor_locked: spec(403, 'Too many wrong codes: use a recovery code or another factor'),
  passkey_refused: spec(422, 'That passkey could not be verified: try again'),
  factor_not_enrolled: spec(422, 'This account has no such factor: choose one it has'),
  last_factor: spec(409, 'This is the last second factor, and this account must keep one'),
  second_factor_required: spec(403, 'Add a second factor to the account first'),
  sign_in_not_completed: spec(503, 'The sign-in could not be completed'),
  // Account recovery: an activity found no proof of the inbox made in this run (never shown as such).
  recovery_not_proven: spec(403, 'The account could not be recovered', false),
  recovery_not_completed: spec(503, 'The account could not be recovered'),
  // Phone numbers and text messages (SMS pumping defences: each limit sends nothing).
  invalid_phone: spec(
    422,
    'This is not a valid phone number: give it in international form, with +',
  ),
  phone_type_refused: spec(422, 'Codes are sent by text to mobile numbers only'),
  phone_country_not_allowed: spec(422, 'Text messages are not sent to numbers of this country'),
  sms_limited: spec(429, 'Too many text messages: try again later, or choose another way'),
  callback_refused: spec(403, 'This callback is not signed by the provider', false),
  // A link from a message (account recovery), opened away from the run it continues.
  link_invalid: spec(404, 'This link is not valid: open the one in the latest message'),
  link_used: spec(409, 'This link was used already: go back to where you started'),
  link_expired: spec(410, 'This link has expired: start again'),

  // Accounts, identifiers, consents.
  email_taken: spec(409, 'An account with this email address already exists'),
  policy_version_mismatch: spec(422, 'Accept the current version of the terms'),
  account_not_created: spec(503, 'The account could not be created'),
  identifier_not_changed: spec(503, 'The address could not be changed'),
  session_not_opened: spec(503, 'The session could not be opened'),
  subscription_not_recorded: spec(503, 'The subscription could not be recorded'),

  // Profiles, their catalogue and the apps that use them.
  attribute_not_writable: spec(403, 'This attribute cannot be changed here'),
  attribute_exists: spec(409, 'An attribute with this name exists already', false),
  attribute_not_found: spec(404, 'No such attribute', false),
  profile_not_saved: spec(503, 'The profile could not be saved'),
  app_data_too_large: spec(413, "The app's data is larger than its limit", false),
  app_data_forbidden: spec(403, 'An app reads and writes its own data only', false),
  app_exists: spec(409, 'An app with this client id exists already', false),
  app_not_found: spec(404, 'No such app', false),
  client_authentication_failed: spec(401, 'The client id and secret do not match', false),
  user_not_found: spec(404, 'No such customer', false),
  session_not_found: spec(404, 'No such session'),
  // Consent: purposes and the policy documents customers accept.
  purpose_not_found: spec(404, 'No such purpose', false),
  policy_version_exists: spec(
    409,
    'This version of the policy is published already, with other content: publish a new version',
    false,
  ),
  policy_version_not_found: spec(404, 'No such version of the policy', false),
  consent_required: spec(422, 'This is needed to have an account: it cannot be refused here'),
  consent_not_recorded: spec(503, 'The consent could not be recorded'),
  consent_not_found: spec(404, 'No such consent receipt'),
  // GDPR: the customer's export and erasure.
  export_limited: spec(429, 'Too many exports asked for today: try again later'),
  export_not_found: spec(404, 'This download link does not work: ask for a new export'),
  erasure_not_scheduled: spec(503, 'The erasure could not be scheduled'),
  erasure_not_completed: spec(503, 'The erasure could not be completed'),

  // OpenID Connect provider.
  consent_due: spec(
    409,
    'A decision on consent is due first: run consent@1 with this session, then finish the sign-in',
  ),
  interaction_not_found: spec(
    404,
    'This sign-in request has expired or belongs to another browser: start again from the app',
  ),
  // Hosted pages.
  form_expired: spec(403, 'This form is no longer valid: reload the page and try again'),
  // Social login.
  social_provider_unknown: spec(422, 'No such sign-in provider'),
  social_sign_in_failed: spec(
    422,
    'The sign-in with this provider did not complete: try again, or sign in another way',
  ),
  social_email_unverified: spec(
    422,
    'This provider did not confirm your email address: create an account with it, or sign in another way',
  ),

  // Internal: never shown as they are.
  // An activity's argument named another run than the one calling it (a forged run).
  run_refused: spec(403, 'This run may not do this', false),
  message_not_found: spec(500, 'No such outbound message', false),
  message_content_gone: spec(500, 'The message has no content left to send', false),
  recipient_refused: spec(
    500,
    'The message was not sent: its recipient is not one plain address',
    false,
  ),
  activity_failed: spec(500, 'An activity failed', false),
  not_decodable: spec(400, 'This payload could not be decoded', false),
  // Raised in the process, never answered as they are: keys, sealed data, journey definitions.
  invalid_key_spec: spec(500, 'A key of the key spec is malformed', false),
  seal_malformed: spec(500, 'A sealed envelope is malformed', false),
  seal_unknown_key: spec(500, 'A sealed envelope names a key the keyring does not hold', false),
  seal_tampered: spec(500, 'A sealed envelope failed authentication', false),
  invalid_journey_definition: spec(500, 'A journey definition cannot run', false),
  not_ready: spec(503, 'Not ready', false),
  internal_error: spec(500, 'Internal server error', false),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;

export const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.hasOwn(errorCatalogue, code);

/** The catalogue entry of a code. */
export const errorSpec = (code: ErrorCode): ErrorSpec => errorCatalogue[code];

/**
 * A rejection the journey reports at its current step (wrong code, too early to resend).
 * Journeys keep it in `context.stepError`; the step API answers it with its catalogue status.
 */
export interface StepError {
  code: ErrorCode;
  message: string;
  status: number;
  /** Field the error is about, as a JSON pointer into the step input (`/code`). */
  path?: string;
  detail?: Record<string, unknown>;
}

/** A field-level error: a JSON pointer into the submitted body, and why. */
export interface FieldError {
  path: string;
  code: ErrorCode;
  message: string;
  [extra: string]: unknown;
}

/** Why a run failed, as its view reports it. */
export interface JourneyFailure {
  code: ErrorCode;
  message: string;
}

/** A step error from the catalogue; `message` only where a more specific one helps the customer. */
export function stepError(
  code: ErrorCode,
  options: { path?: string; detail?: Record<string, unknown>; message?: string } = {},
): StepError {
  const { status, message } = errorSpec(code);
  return {
    code,
    message: options.message ?? message,
    status,
    ...(options.path ? { path: options.path } : {}),
    ...(options.detail ? { detail: options.detail } : {}),
  };
}

/** A run failure from the catalogue. */
export const journeyFailure = (code: ErrorCode): JourneyFailure => ({
  code,
  message: errorSpec(code).message,
});
