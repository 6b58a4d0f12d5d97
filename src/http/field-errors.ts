import type { z } from 'zod';
import type { FieldError } from './problem.js';

// RFC 6901: the whole body is '' ('/' would name a member called "").
const pointer = (path: readonly PropertyKey[]) =>
  path.map((key) => `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

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
    return [{ path: pointer(path), code: issue.code, message: issue.message }];
  });
}
