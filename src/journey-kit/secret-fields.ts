import { z } from 'zod';
import { LINK_TOKEN_PATTERN } from '../security/link-token.js';
import { SECRET_REF_PATTERN } from '../security/secret-ref.js';

/**
 * Secret step fields never reach a workflow in clear, not even encrypted (DESIGN: no secret in
 * Temporal history). The step API seals them before the update: a new password is checked against
 * the policy and hashed; any other secret is parked in the vault and travels as a reference.
 */
export type SecretKind = 'newPassword' | 'password' | 'oneTimeCode';

const SECRET_META = 'x-parcours-secret';

/** The shapes secrets take once sealed: what the workflow validator accepts in their place. */

const sealedShapes: Record<SecretKind, z.ZodString> = {
  newPassword: z.string().startsWith('$argon2id$'),
  password: z.string().regex(SECRET_REF_PATTERN),
  oneTimeCode: z.string().regex(SECRET_REF_PATTERN),
};

export const secret = {
  /** A password the customer is choosing. Length is measured in code points by the policy. */
  newPassword: () =>
    // UTF-16 bounds are looser than the policy's code-point bounds (8..256), so they never contradict it.
    z
      .string()
      .min(8, 'Use at least 8 characters')
      .max(1024)
      .meta({ [SECRET_META]: 'newPassword', format: 'password', writeOnly: true, maxLength: 256 }),
  /**
   * A password the customer signs in with: never policy-checked or hashed on the way in (its hash
   * is the account's), it travels to the verifying activity as a vault reference.
   */
  password: () =>
    z
      .string()
      .min(1, 'Enter your password')
      .max(1024)
      .meta({ [SECRET_META]: 'password', format: 'password', writeOnly: true }),
  /**
   * A recovery code the customer wrote down (letters and digits, in groups): checked like a
   * one-time code, by vault reference.
   */
  recoveryCode: () =>
    z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 -]{10,22}[A-Za-z0-9]$/, 'Enter one of your recovery codes')
      .meta({ [SECRET_META]: 'oneTimeCode', writeOnly: true }),
  /** The token of a link sent with a code (src/security/link-token.ts): checked as the code is. */
  linkToken: () =>
    z
      .string()
      .regex(LINK_TOKEN_PATTERN, 'Open the link from the message')
      .meta({ [SECRET_META]: 'oneTimeCode', writeOnly: true }),
  /** A numeric one-time code sent to the customer. */
  oneTimeCode: (digits = 6) =>
    z
      .string()
      .regex(new RegExp(`^[0-9]{${digits}}$`), `Enter the ${digits}-digit code`)
      .meta({ [SECRET_META]: 'oneTimeCode', writeOnly: true }),
};

export function secretKindOf(schema: z.ZodType): SecretKind | undefined {
  const kind = schema.meta()?.[SECRET_META];
  return kind === 'newPassword' || kind === 'password' || kind === 'oneTimeCode' ? kind : undefined;
}

/** Step inputs are strict objects or unions of them; secrets are their top-level fields. */
export function objectsOf(schema: z.ZodType): z.ZodObject[] {
  if (schema instanceof z.ZodObject) return [schema];
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap(objectsOf);
  return [];
}

/** The secret fields of a step input, by name. */
export function secretFieldsOf(schema: z.ZodType): Map<string, SecretKind> {
  const fields = new Map<string, SecretKind>();
  for (const object of objectsOf(schema)) {
    for (const [name, field] of Object.entries(object.shape)) {
      const kind = secretKindOf(field as z.ZodType);
      if (kind) fields.set(name, kind);
    }
  }
  return fields;
}

/** The schema of a step input after sealing: each secret field replaced by its sealed shape. */
export function sealedSchemaOf(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodObject) {
    const replaced: Record<string, z.ZodType> = {};
    for (const [name, field] of Object.entries(schema.shape)) {
      const kind = secretKindOf(field as z.ZodType);
      if (kind) replaced[name] = sealedShapes[kind];
    }
    return Object.keys(replaced).length ? schema.extend(replaced) : schema;
  }
  if (schema instanceof z.ZodUnion) {
    return z.union(
      (schema.options as z.ZodType[]).map(sealedSchemaOf) as [z.ZodType, ...z.ZodType[]],
    );
  }
  return schema;
}
