import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { type ErrorCode, errorSpec, isErrorCode } from './catalogue.js';

/** What a journey's `onError` receives when an invoked activity fails: a stable code to switch on. */
export interface JourneyActivityError {
  code: ErrorCode;
  message: string;
  /** True for business outcomes (wrong code, email taken); false when retries ran out. */
  business: boolean;
  detail?: Record<string, unknown>;
}

/**
 * A business failure raised by an activity: never retried, handled by the journey's `onError`.
 * The code comes from the error catalogue, and so does the message unless a more specific one is given.
 */
export function businessFailure(
  code: ErrorCode,
  detail?: Record<string, unknown>,
  message: string = errorSpec(code).message,
): ApplicationFailure {
  return ApplicationFailure.create({
    type: code,
    message,
    nonRetryable: true,
    details: detail ? [detail] : [],
  });
}

/** Turns a Temporal activity failure (or an in-memory throw in the test kit) into a journey error. */
export function toJourneyError(error: unknown): JourneyActivityError {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.nonRetryable && isErrorCode(cause.type)) {
    const [detail] = (cause.details ?? []) as [Record<string, unknown>?];
    return {
      code: cause.type,
      message: cause.message,
      business: true,
      ...(detail ? { detail } : {}),
    };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { code: 'activity_failed', message, business: false };
}

/** A run that cannot go on (unknown journey, bad settings, an error inside the machine): never retried. */
export const runFailure = (code: ErrorCode, message: string): ApplicationFailure =>
  ApplicationFailure.nonRetryable(message, code);
