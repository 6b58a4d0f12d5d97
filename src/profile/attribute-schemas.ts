import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorCode, FieldError } from '../errors/catalogue.js';
import { errorSpec } from '../errors/catalogue.js';

// ajv-formats is CommonJS: its default export is the function under Node's ESM interop.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const TIME_ZONES = new Set(Intl.supportedValuesOf('timeZone'));
TIME_ZONES.add('UTC');

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
ajv.addFormat('iana-time-zone', { type: 'string', validate: (value) => TIME_ZONES.has(value) });

const compiled = new Map<string, ValidateFunction>();

/** The validator of a schema, compiled once per distinct schema; throws on a schema ajv refuses. */
export function validatorOf(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
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

const escape = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** ajv's errors for the value at `base` (a JSON pointer) as field errors. */
function fieldErrorsOfAjv(base: string, errors: readonly ErrorObject[]): FieldError[] {
  return errors.map((error) => {
    const code = KEYWORD_CODES[error.keyword] ?? 'invalid_value';
    const member =
      error.keyword === 'additionalProperties'
        ? `/${escape(String(error.params.additionalProperty))}`
        : error.keyword === 'required'
          ? `/${escape(String(error.params.missingProperty))}`
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
