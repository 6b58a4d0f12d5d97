import type { ErrorRequestHandler, Response } from 'express';

/** A field-level error inside a problem: a JSON pointer into the submitted body. */
export interface FieldError {
  path: string;
  code: string;
  message: string;
  [extra: string]: unknown;
}

/**
 * An HTTP error answered as RFC 9457 problem+json, with a stable `code` to switch on.
 * `expose` follows the status: details of 5xx errors stay in the logs.
 */
export class HttpProblem extends Error {
  readonly expose: boolean;
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(title);
    this.name = 'HttpProblem';
    this.expose = status < 500;
  }
}

export const problemType = (code: string) => `/problems/${code.replaceAll('_', '-')}`;

export function sendProblem(res: Response, problem: HttpProblem): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: problemType(problem.code),
      title: problem.title,
      status: problem.status,
      code: problem.code,
      ...problem.extensions,
    });
}

/** What body-parser and friends throw, by their `type`, as problems. */
const parserProblems: Record<string, (err: { limit?: number }) => HttpProblem> = {
  'entity.too.large': (err) =>
    new HttpProblem(413, 'body_too_large', 'Request body too large', {
      detail: `The limit is ${err.limit} bytes`,
    }),
  'entity.parse.failed': () =>
    new HttpProblem(400, 'malformed_json', 'Request body is not valid JSON'),
  'charset.unsupported': () => new HttpProblem(415, 'unsupported_charset', 'Unsupported charset'),
  'encoding.unsupported': () =>
    new HttpProblem(415, 'unsupported_encoding', 'Unsupported content encoding'),
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
            ? new HttpProblem(err.status, 'bad_request', 'The request could not be read')
            : new HttpProblem(500, 'internal_error', 'Internal server error');
    if (problem.status >= 500)
      log.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    sendProblem(res, problem);
  };
}
