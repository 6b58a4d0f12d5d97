import type { AttributeSpec } from './attribute-spec.js';

/**
 * The standard attributes, named as OpenID Connect names its claims (Core §5.1). Every app of the
 * brand shares them; an app reads one only where its registration lists it. The customer writes
 * them; no app does (an app that holds a better address asks the customer, or the operator sets it).
 * `email` and `email_verified` come from the account's address and change only by email-change@1;
 * `phone_number_verified` only by a texted code (a number the customer types is unverified).
 */
const shared = { readers: ['customer', 'other_apps', 'operator'], grantsAccess: false } as const;
const editable = { ...shared, writers: ['customer', 'operator'] } as const;
const readOnly = { ...shared, writers: [] } as const;

// OIDC Core §5.1.1: the address claim's members, each a string.
const addressPart = { type: 'string', minLength: 1, maxLength: 200 };

export const STANDARD_ATTRIBUTES: Record<string, AttributeSpec> = {
  email: {
    ...readOnly,
    sensitivity: 'sensitive',
    schema: { type: 'string', format: 'email' },
    description: "The account's primary address (email-change@1 changes it)",
  },
  email_verified: { ...readOnly, sensitivity: 'normal', schema: { type: 'boolean' } },
  given_name: {
    ...editable,
    sensitivity: 'normal',
    schema: { type: 'string', minLength: 1, maxLength: 100 },
  },
  family_name: {
    ...editable,
    sensitivity: 'normal',
    schema: { type: 'string', minLength: 1, maxLength: 100 },
  },
  phone_number: {
    ...editable,
    sensitivity: 'sensitive',
    // E.164; the profile canonicalises other spellings before this check (phone-number.ts).
    schema: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' },
    description: 'In E.164 form; unverified until a texted code proves it',
  },
  phone_number_verified: { ...readOnly, sensitivity: 'normal', schema: { type: 'boolean' } },
  address: {
    ...editable,
    sensitivity: 'sensitive',
    schema: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        formatted: { type: 'string', minLength: 1, maxLength: 500 },
        street_address: { type: 'string', minLength: 1, maxLength: 300 },
        locality: addressPart,
        region: addressPart,
        postal_code: { type: 'string', minLength: 1, maxLength: 20 },
        country: addressPart,
      },
    },
  },
  locale: {
    ...editable,
    sensitivity: 'normal',
    // BCP 47 language tags (RFC 5646), as OIDC's `locale`: `fr-FR`, `en`.
    schema: { type: 'string', pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$', maxLength: 35 },
  },
  birthdate: {
    ...editable,
    sensitivity: 'normal',
    // OIDC: ISO 8601 YYYY-MM-DD, a real day that has come (attribute-schemas.ts).
    schema: { type: 'string', format: 'birthdate' },
  },
  zoneinfo: {
    ...editable,
    sensitivity: 'normal',
    // An IANA time zone (`Europe/Paris`); names the runtime does not know are refused on write.
    schema: { type: 'string', minLength: 1, maxLength: 64, format: 'iana-time-zone' },
  },
};

/** Attributes whose value another one derives (a verified flag), never written as such. */
export const DERIVED_ATTRIBUTES = new Set(['email', 'email_verified', 'phone_number_verified']);
