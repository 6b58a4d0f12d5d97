import type { StepField, StepForm } from './step-forms.js';

/** Sets `value` at a dotted path in `target`, making the objects on the way. */
function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split('.');
  const last = keys.pop() as string;
  let at = target;
  for (const key of keys) {
    at[key] = (at[key] as Record<string, unknown> | undefined) ?? {};
    at = at[key] as Record<string, unknown>;
  }
  at[last] = value;
}

/** One field's value as the step input takes it, or `undefined` to leave it out. */
function fieldValue(field: StepField, sent: unknown, button: string | undefined): unknown {
  // A fixed value is the schema's, never what the form says it is.
  if (field.kind === 'hidden') return field.value;
  if (field.kind === 'choices') return button;
  if (field.kind === 'checkbox') return sent === 'true';
  if (typeof sent !== 'string') return undefined;
  // An optional field left empty is not answered (a profile question skipped).
  if (sent === '' && !field.required) return undefined;
  if (field.kind === 'number') return sent.trim() === '' ? sent : Number(sent);
  if (field.kind === 'credential') {
    try {
      return JSON.parse(sent);
    } catch {
      // Left as text: the step's schema refuses it with the field's path.
      return sent;
    }
  }
  return sent;
}

/**
 * The step input a form post says, typed as the step's schema wants it: what a browser sends is
 * text (`true` from a ticked box, digits for a number), and a box left unticked is not sent at all.
 * Only the form's own fields are read; the schema judges the rest, as it judges the API's bodies.
 */
export function formInput(form: StepForm, body: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const button = typeof body._choice === 'string' ? body._choice : undefined;
  for (const field of form.fields) {
    const value = fieldValue(field, body[field.name], button);
    if (value !== undefined) setPath(input, field.name, value);
  }
  return input;
}

/** A problem's field path (`/answers/given_name`) as a form field's name (`answers.given_name`). */
export const fieldNameOf = (path: string | undefined) =>
  (path ?? '').replace(/^\//, '').replaceAll('/', '.');
