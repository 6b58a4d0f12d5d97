import type { z } from 'zod';
import { type ErrorCode, isErrorCode } from '../errors/catalogue.js';
import { pointerSegment } from '../errors/json-pointer.js';
import type { FieldError } from './problem.js';

// RFC 6901: the whole body is '' ('/' would name a member called "").
const pointer = (path: readonly PropertyKey[]) =>
  path.map((key) => `/${pointerSegment(String(key))}`).join('');

/** zod's issue codes in the catalogue's words: a field error's code is always a catalogue code. */
const ZOD_CODES: Record<string, ErrorCode> = {
  invalid_type: 'invalid_type',
  invalid_format: 'invalid_format',
  too_small: 'too_small',
  too_big: 'too_big',
  invalid_value: 'invalid_value',
  not_multiple_of: 'invalid_value',
  invalid_key: 'invalid_value',
  invalid_element: 'invalid_value',
  invalid_union: 'invalid_value',
};

/** A refinement names its catalogue code in `params.code`; anything else is an invalid value. */
const codeOf = (issue: z.core.$ZodIssue): ErrorCode => {
  const named = issue.code === 'custom' ? issue.params?.code : undefined;
  return isErrorCode(named) ? named : (ZOD_CODES[issue.code] ?? 'invalid_value');
};

/**
 * zod issues as field errors with JSON pointers. For a union (a step with several actions), the
 * branch that came closest is reported rather than every branch's complaint.
 */
export function fieldErrorsOf(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): FieldError[] {
  return issues.flatMap((issue): FieldError[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      return fieldErrorsOf(closest, path);
    }
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: pointer([...path, key]),
        code: 'unknown_field',
        message: `Unknown field '${key}'`,
      }));
    }
    return [{ path: pointer(path), code: codeOf(issue), message: issue.message }];
  });
}
