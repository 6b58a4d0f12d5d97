/**
 * Who may read or write an attribute: the customer it describes, the app that owns it, every
 * other registered app (each only where its registration lists the attribute), the operator.
 */
export const PARTIES = ['customer', 'owning_app', 'other_apps', 'operator'] as const;
export type Party = (typeof PARTIES)[number];

/** What the catalogue says of one attribute. */
export interface AttributeSpec {
  /** A JSON Schema (2020-12) every value must meet. */
  schema: object;
  readers: readonly Party[];
  writers: readonly Party[];
  /** `sensitive`: a change needs a recent sign-in at the account's highest level. */
  sensitivity: 'normal' | 'sensitive';
  /** Feeds authorization (a role, an entitlement): the customer can never write it. */
  grantsAccess: boolean;
  ownerApp?: string;
  description?: string;
}
