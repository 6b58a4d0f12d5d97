import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorCode, FieldError } from '../errors/catalogue.js';
import { errorSpec } from '../errors/catalogue.js';
import { pointerSegment } from '../errors/json-pointer.js';

// ajv-formats is CommonJS: its default export is the function under Node's ESM interop.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * An IANA time zone the runtime knows, by any of its names: `Intl.supportedValuesOf` lists one
 * canonical name per zone (ICU's, `Asia/Calcutta`) where browsers report the current one
 * (`Asia/Kolkata`), so the formatter decides.
 */
function isTimeZone(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** A birth date: a real calendar day (YYYY-MM-DD), not in the future, not before 1900. */
function isBirthdate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return (
    !Number.isNaN(date.getTime()) &&
    date.toISOString().startsWith(value) &&
    Number(match[1]) >= 1900 &&
    date.getTime() <= Date.now()
  );
}

/**
 * JSON Schema (2020-12) for profile attributes, by ajv: every error reported (`allErrors`), strict
 * mode so an operator's typo in a keyword is refused when the attribute is declared rather than
 * ignored. No `$ref` is ever fetched (no `loadSchema`): a schema refers to nothing outside itself.
 */
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
ajv.addFormat('birthdate', { type: 'string', validate: isBirthdate });
ajv.addFormat('iana-time-zone', { type: 'string', validate: isTimeZone });

/** Compiled validators by schema text, the oldest let go past this many (ajv's own copy too). */
const COMPILED_LIMIT = 500;
const compiled = new Map<string, { schema: object; validate: ValidateFunction }>();

/**
 * Where a schema names something outside itself: an `$id` (ajv would register it, and a later
 * schema with the same `$id` would clash) or a `$ref` / `$dynamicRef` not within the document.
 */
function outsideReference(value: unknown, path = ''): string | undefined {
  if (Array.isArray(value))
    return value.map((item, index) => outsideReference(item, `${path}/${index}`)).find(Boolean);
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key === '$id' || key === '$anchor' || key === '$dynamicAnchor')
      return `${path}/${key}: a schema names nothing for others to refer to`;
    if (
      (key === '$ref' || key === '$dynamicRef') &&
      !(typeof item === 'string' && item.startsWith('#'))
    )
      return `${path}/${key}: a schema refers to nothing outside itself`;
    const found = outsideReference(item, `${path}/${key}`);
    if (found) return found;
  }
  return undefined;
}

/** The validator of a schema, compiled once per distinct schema; throws on a schema ajv refuses. */
export function validatorOf(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  const known = compiled.get(key);
  if (known) return known.validate;
  const outside = outsideReference(schema);
  if (outside) throw new Error(outside);
  const copy = JSON.parse(key) as object;
  const validate = ajv.compile(copy);
  compiled.set(key, { schema: copy, validate });
  if (compiled.size > COMPILED_LIMIT) {
    const [oldest, entry] = compiled.entries().next().value as [string, { schema: object }];
    compiled.delete(oldest);
    ajv.removeSchema(entry.schema);
  }
  return validate;
}

/** Why a schema cannot be used, or undefined when ajv compiles it. */
export function schemaProblem(schema: object): string | undefined {
  try {
    validatorOf(schema);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** ajv's keywords in the catalogue's words, as zod's issues are (field-errors.ts). */
const KEYWORD_CODES: Record<string, ErrorCode> = {
  type: 'invalid_type',
  required: 'invalid_type',
  format: 'invalid_format',
  pattern: 'invalid_format',
  enum: 'invalid_value',
  const: 'invalid_value',
  minLength: 'too_small',
  minimum: 'too_small',
  exclusiveMinimum: 'too_small',
  minItems: 'too_small',
  minProperties: 'too_small',
  maxLength: 'too_big',
  maximum: 'too_big',
  exclusiveMaximum: 'too_big',
  maxItems: 'too_big',
  maxProperties: 'too_big',
  additionalProperties: 'unknown_field',
  unevaluatedProperties: 'unknown_field',
};

/** ajv's errors for the value at `base` (a JSON pointer) as field errors. */
function fieldErrorsOfAjv(base: string, errors: readonly ErrorObject[]): FieldError[] {
  return errors.map((error) => {
    const code = KEYWORD_CODES[error.keyword] ?? 'invalid_value';
    const member =
      error.keyword === 'additionalProperties'
        ? `/${pointerSegment(String(error.params.additionalProperty))}`
        : error.keyword === 'required'
          ? `/${pointerSegment(String(error.params.missingProperty))}`
          : '';
    return {
      path: `${base}${error.instancePath}${member}`,
      code,
      message: error.message ? `This value ${error.message}` : errorSpec(code).message,
    };
  });
}

/** Checks `value` against `schema`; the field errors at `path`, none when it conforms. */
export function checkValue(path: string, schema: object, value: unknown): FieldError[] {
  const validate = validatorOf(schema);
  return validate(value) ? [] : fieldErrorsOfAjv(path, validate.errors ?? []);
}
