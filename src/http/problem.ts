import type { ErrorRequestHandler, Response } from 'express';
import { type ErrorCode, errorSpec } from '../errors/catalogue.js';

export type { FieldError } from '../errors/catalogue.js';

/**
 * An HTTP error answered as RFC 9457 problem+json, with a stable `code` from the error catalogue
 * (src/errors/catalogue.ts), which gives its status and default title. `expose` follows the status:
 * details of 5xx errors stay in the logs.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly expose: boolean;
  readonly title: string;
  readonly headers: Record<string, string>;
  constructor(
    readonly code: ErrorCode,
    readonly extensions: Record<string, unknown> = {},
    options: { title?: string; headers?: Record<string, string> } = {},
  ) {
    const title = options.title ?? errorSpec(code).message;
    super(title);
    this.name = 'HttpProblem';
    this.title = title;
    this.headers = options.headers ?? {};
    this.status = errorSpec(code).status;
    this.expose = this.status < 500;
  }
}

/** A problem's name in its `type` URI: `invalid_code` → `invalid-code`. */
export const problemSlug = (code: ErrorCode) => code.replaceAll('_', '-');

/** The `type` of a problem: a page that explains it (problem-pages.ts). */
export const problemType = (code: ErrorCode) => `/problems/${problemSlug(code)}`;

export function sendProblem(res: Response, problem: HttpProblem): void {
  res
    .status(problem.status)
    .set(problem.headers)
    .type('application/problem+json')
    .json({
      type: problemType(problem.code),
      title: problem.title,
      status: problem.status,
      code: problem.code,
      shown: errorSpec(problem.code).shown,
      ...problem.extensions,
    });
}

/** What body-parser and friends throw, by their `type`, as problems. */
const parserProblems: Record<string, (err: { limit?: number }) => HttpProblem> = {
  'entity.too.large': (err) =>
    new HttpProblem('body_too_large', { detail: `The limit is ${err.limit} bytes` }),
  'entity.parse.failed': () => new HttpProblem('malformed_json'),
  'charset.unsupported': () => new HttpProblem('unsupported_charset'),
  'encoding.unsupported': () => new HttpProblem('unsupported_encoding'),
};

/**
 * Other client errors that Express and body-parser raise as http-errors (a corrupt gzip body, an
 * undecodable %-escape in the path) are the client's fault: a 4xx, not a 500 logged as ours.
 */
const isClientError = (err: { status?: unknown; expose?: unknown }) =>
  typeof err?.status === 'number' && err.status >= 400 && err.status < 500 && err.expose !== false;

/** The one error handler: every error leaves as problem+json. */
export function problemHandler(log: {
  error: (obj: object, msg: string) => void;
}): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const parserProblem = typeof err?.type === 'string' ? parserProblems[err.type] : undefined;
    const problem =
      err instanceof HttpProblem
        ? err
        : parserProblem
          ? parserProblem(err)
          : isClientError(err)
            ? new HttpProblem('bad_request')
            : new HttpProblem('internal_error');
    if (problem.status >= 500)
      log.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    sendProblem(res, problem);
  };
}
