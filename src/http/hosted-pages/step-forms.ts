/**
 * A step's forms, drawn from its JSON Schema (the one the step API publishes, so the page asks what
 * the API takes and nothing else): an alternative of the schema (`anyOf`/`oneOf`) is a form of its
 * own ("enter the code" and "send another"); a `const` is a hidden value; a nested object's
 * properties are fields named by their path (`answers.given_name`); an object that is a WebAuthn
 * credential is left to the page's script, which fills it from the authenticator.
 */

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  description?: string;
  title?: string;
  items?: JsonSchema;
}

export type FieldKind =
  | 'text'
  | 'email'
  | 'password'
  | 'tel'
  | 'code'
  | 'number'
  | 'checkbox'
  | 'select'
  | 'choices'
  | 'credential'
  | 'hidden';

export interface StepField {
  /** The field's path in the step input, dotted: `email`, `answers.given_name`. */
  name: string;
  /** The last segment of the path: what its label is looked up by. */
  key: string;
  kind: FieldKind;
  required: boolean;
  /** Options of a `select` or of `choices` (one submit button per option). */
  options?: string[];
  /**
   * A hidden field's value, as the schema fixes it or as the step's data showed it; a visible
   * field's value to start with (the `login_hint` a step shows as `email`).
   */
  value?: unknown;
  /** The schema's own words for a field the catalogue does not know (a purpose's name). */
  description?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
}

export interface StepForm {
  /** What the form does, for its button's label: `code`, `resend`, `email+password`. */
  action: string;
  fields: StepField[];
}

const alternativesOf = (schema: JsonSchema): JsonSchema[] =>
  schema.anyOf ?? schema.oneOf ?? [schema];

const isCredential = (name: string, schema: JsonSchema) =>
  name === 'credential' && schema.type === 'object';

function fieldsOf(schema: JsonSchema, prefix = '', parentRequired = true): StepField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([key, property]): StepField[] => {
    const name = prefix + key;
    const isRequired = parentRequired && required.has(key);
    const common = {
      name,
      key,
      required: isRequired,
      ...(property.description ? { description: property.description } : {}),
      ...(property.title ? { description: property.title } : {}),
    };
    if (isCredential(key, property)) return [{ ...common, kind: 'credential' }];
    if (property.type === 'object' || (property.properties && !property.type))
      return fieldsOf(property, `${name}.`, isRequired);
    if (property.const !== undefined) return [{ ...common, kind: 'hidden', value: property.const }];
    if (property.type === 'boolean') return [{ ...common, kind: 'checkbox' }];
    if (property.enum) return [{ ...common, kind: 'select', options: property.enum.map(String) }];
    if (property.type === 'integer' || property.type === 'number')
      return [{ ...common, kind: 'number' }];
    const kind: FieldKind =
      property.format === 'password'
        ? 'password'
        : property.format === 'email' || property.format === 'idn-email'
          ? 'email'
          : property.format === 'phone' || key.startsWith('phone')
            ? 'tel'
            : property.pattern === '^[0-9]{6}$'
              ? 'code'
              : 'text';
    return [
      {
        ...common,
        kind,
        ...(property.pattern ? { pattern: property.pattern } : {}),
        ...(property.minLength !== undefined ? { minLength: property.minLength } : {}),
        ...(property.maxLength !== undefined ? { maxLength: property.maxLength } : {}),
      },
    ];
  });
}

/**
 * A field the step's data holds. Free text the step showed (the terms version accepted) goes back
 * as shown, hidden; an address is offered as the value to start with, to change at will.
 */
function withDataValue(field: StepField, shown: unknown): StepField {
  if (typeof shown !== 'string' && typeof shown !== 'number') return field;
  if (field.kind === 'text') return { ...field, kind: 'hidden', value: shown };
  if (field.kind === 'email' || field.kind === 'tel') return { ...field, value: shown };
  return field;
}

/**
 * The forms of a step. `choices`: a lone enum field whose form has nothing else (`method` to pick
 * another factor) is one button per option, limited to those the step's data offers
 * (`otherFactors`).
 */
export function stepForms(schema: unknown, data: Record<string, unknown> = {}): StepForm[] {
  const alternatives = alternativesOf((schema ?? {}) as JsonSchema);
  return alternatives.map((alternative) => {
    let fields = fieldsOf(alternative).map((field) => withDataValue(field, data[field.key]));
    // `true` the customer must send is a box to tick (the terms, a required purpose, "I kept my
    // codes"); alone in one of several alternatives, it is what that form's button does
    // (`resend`, `skip`).
    if (fields.length > 1 || alternatives.length === 1)
      fields = fields.map((field) =>
        field.kind === 'hidden' && field.value === true
          ? { ...field, kind: 'checkbox', required: true }
          : field,
      );
    const [only] = fields;
    if (fields.length === 1 && only?.kind === 'select') {
      const offered = Array.isArray(data.otherFactors) ? data.otherFactors.map(String) : undefined;
      fields = [
        {
          ...only,
          kind: 'choices',
          options: (only.options ?? []).filter((option) => !offered || offered.includes(option)),
        },
      ];
    }
    const named = fields.filter((field) => field.kind !== 'hidden' || fields.length === 1);
    const action = named
      .map((field) =>
        field.kind === 'hidden' && typeof field.value === 'string'
          ? `${field.key}.${field.value}`
          : field.name.split('.')[0],
      )
      .filter((name, index, all) => all.indexOf(name) === index)
      .join('+');
    return { action: action || 'submit', fields };
  });
}
