import type { NextFunction, Request, Response } from 'express';
import { ProfileRefusal } from '../profile/profile-store.js';
import { HttpProblem } from './problem.js';

/** A profile write refused field by field, as problem+json with each field's JSON pointer. */
export function profileProblems(error: unknown, _req: Request, _res: Response, next: NextFunction) {
  if (error instanceof ProfileRefusal)
    return next(new HttpProblem(error.code, { errors: error.errors }));
  next(error);
}

/** A JSON object body (a profile patch, an app's document), or 422 naming the body. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body === 'object' && body !== null && !Array.isArray(body))
    return body as Record<string, unknown>;
  throw new HttpProblem('invalid_input', {
    errors: [{ path: '', code: 'invalid_type', message: 'Send a JSON object' }],
  });
}
