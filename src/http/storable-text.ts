import type { NextFunction, Request, Response } from 'express';
import { errorSpec, type FieldError } from '../errors/catalogue.js';
import { pointerSegment } from '../errors/json-pointer.js';
import { HttpProblem } from './problem.js';

/**
 * A character PostgreSQL cannot keep as it was sent: NUL (`text` and `jsonb` both refuse it, and
 * the write would fail as a 500) or half a UTF-16 surrogate pair (it would be stored as U+FFFD,
 * silently changed). Either anywhere in a body, a key or a value, is refused before any route reads
 * it: whatever is taken is kept exactly.
 */
const NUL = String.fromCharCode(0);
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const unstorable = (text: string) => text.includes(NUL) || text.search(LONE_SURROGATE) >= 0;
/** The text as a pointer may show it: each such character as U+FFFD. */
const shown = (text: string) => text.replaceAll(NUL, '\ufffd').replace(LONE_SURROGATE, '\ufffd');

/** Each place in a parsed JSON value holding such a character, as a field error. */
export function unstorableText(value: unknown, path = ''): FieldError[] {
  const error = (at: string): FieldError => ({
    path: at,
    code: 'invalid_character',
    message: errorSpec('invalid_character').message,
  });
  if (typeof value === 'string') return unstorable(value) ? [error(path)] : [];
  if (Array.isArray(value))
    return value.flatMap((item, index) => unstorableText(item, `${path}/${index}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const at = `${path}/${pointerSegment(shown(key))}`;
    return unstorable(key) ? [error(at)] : unstorableText(item, at);
  });
}

/** Refuses a JSON body holding text the database cannot keep (422, each place's pointer). */
export function refuseUnstorableText(req: Request, _res: Response, next: NextFunction) {
  const errors = req.body === undefined ? [] : unstorableText(req.body);
  if (errors.length) return next(new HttpProblem('invalid_input', { errors }));
  next();
}
