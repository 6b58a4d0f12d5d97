import type { DbClient } from '../db/prisma.js';
import type { FieldError } from '../errors/catalogue.js';
import { errorSpec } from '../errors/catalogue.js';
import { pointerSegment } from '../errors/json-pointer.js';
import { type ConsentState, standings } from './consent-state.js';
import { describePolicyVersion } from './policies.js';

/** A policy version as the consent step shows it: the one a decision will be recorded under. */
export interface ShownPolicy {
  policy: string;
  version: string;
  locale: string;
  content_hash: string;
  material: boolean;
  effective_at: string;
  published_at?: string;
  /** Where the page reads its text (public). */
  href: string;
}

/** A purpose as the consent step shows it, with where the customer stands and what changed. */
export interface ShownPurpose {
  id: string;
  name: string;
  description?: string;
  attributes: string[];
  apps: string[];
  policy: string;
  required: boolean;
  /** Days a grant lasts before it is asked again; absent: until withdrawn. */
  validity_days?: number;
  /** The customer's standing now; absent: never decided. */
  decision?: ConsentState;
  decided_at?: string;
  /**
   * What changed since the customer's last decision: `new` (never asked), `policy_changed` (a
   * material version since), `expired` (a grant past its validity). Absent: nothing.
   */
  changed?: 'new' | 'policy_changed' | 'expired';
}

export interface ConsentRequest {
  policies: ShownPolicy[];
  purposes: ShownPurpose[];
}

/** The decisions a consent step takes: one per purpose, and the policy versions the page showed. */
export interface ConsentDecisions {
  /** `true` grants, `false` denies; a purpose left out is not decided (a required one must be). */
  decisions: Record<string, boolean>;
  /** Each policy's version as the page showed it: only that version can be recorded. */
  policies: Record<string, string>;
}

export const policyHref = (policy: { policy: string; version: string; locale: string }) =>
  `/v1/policies/${encodeURIComponent(policy.policy)}/${encodeURIComponent(policy.version)}/${encodeURIComponent(policy.locale)}`;

/**
 * The version of each policy in effect at `now`, in the first of the customer's languages that
 * has one (then English, then any).
 */
async function policiesInEffect(
  db: DbClient,
  names: string[],
  locales: string[],
  now: Date,
): Promise<Map<string, ShownPolicy>> {
  const rows = await db.policyVersion.findMany({
    where: { policy: { in: names }, effectiveAt: { lte: now } },
    orderBy: [{ effectiveAt: 'desc' }, { locale: 'asc' }],
  });
  const preference = [...locales.map((locale) => locale.toLowerCase()), 'en'];
  const rank = (locale: string) => {
    const lower = locale.toLowerCase();
    const exact = preference.indexOf(lower);
    if (exact >= 0) return exact;
    const language = preference.indexOf(lower.split('-')[0] as string);
    return language >= 0 ? language + 0.5 : preference.length;
  };
  const shown = new Map<string, ShownPolicy>();
  for (const name of names) {
    const ofPolicy = rows.filter((row) => row.policy === name);
    // The version in effect is the latest effective one; its locales are the choice.
    const latest = ofPolicy[0];
    if (!latest) continue;
    const candidates = ofPolicy.filter((row) => row.version === latest.version);
    const row = candidates.sort((a, b) => rank(a.locale) - rank(b.locale))[0] ?? latest;
    shown.set(name, { ...describePolicyVersion(row), href: policyHref(row) });
  }
  return shown;
}

/**
 * What a consent step asks now: every purpose whose policy has a version in effect, with the
 * customer's standing on it (none for someone registering) and what changed since.
 */
export async function consentRequest(
  db: DbClient,
  input: { userId?: string; locales: string[]; now: Date },
): Promise<ConsentRequest> {
  const purposes = await db.purpose.findMany({ orderBy: { id: 'asc' } });
  // Nothing declared (the embedded defaults): one query, as at every sign-in.
  if (purposes.length === 0) return { policies: [], purposes: [] };
  const policies = await policiesInEffect(
    db,
    [...new Set(purposes.map((purpose) => purpose.policy))],
    input.locales,
    input.now,
  );
  const standing = input.userId ? await standings(db, input.userId, input.now) : new Map();
  const shown: ShownPurpose[] = [];
  for (const purpose of purposes) {
    if (!policies.has(purpose.policy)) continue;
    const record = standing.get(purpose.id)?.record;
    const state = standing.get(purpose.id)?.state;
    const changed =
      state === undefined
        ? 'new'
        : state === 'expired'
          ? 'expired'
          : record?.policy && record.policyVersion !== policies.get(purpose.policy)?.version
            ? 'policy_changed'
            : undefined;
    shown.push({
      id: purpose.id,
      name: purpose.name,
      ...(purpose.description ? { description: purpose.description } : {}),
      attributes: purpose.attributes,
      apps: purpose.apps,
      policy: purpose.policy,
      required: purpose.required,
      ...(purpose.validityDays ? { validity_days: purpose.validityDays } : {}),
      ...(state ? { decision: state, decided_at: record?.at.toISOString() } : {}),
      ...(changed ? { changed } : {}),
    });
  }
  const used = new Set(shown.map((purpose) => purpose.policy));
  return {
    policies: [...policies.values()].filter((policy) => used.has(policy.policy)),
    purposes: shown,
  };
}

/**
 * Whether a customer must go through consent at sign-in: a required purpose not granted, or a
 * grant that a material policy change or its validity ended. A new optional purpose, or a
 * non-material policy change, asks nothing at sign-in.
 */
export async function consentDue(
  db: DbClient,
  input: { userId: string; now: Date },
): Promise<boolean> {
  const request = await consentRequest(db, { userId: input.userId, locales: [], now: input.now });
  return request.purposes.some(
    (purpose) =>
      (purpose.required && purpose.decision !== 'granted') ||
      purpose.decision === 'renewal_due' ||
      purpose.decision === 'expired',
  );
}

const fieldError = (path: string, code: FieldError['code'], message?: string): FieldError => ({
  path,
  code,
  message: message ?? errorSpec(code).message,
});

/** A decision checked against what is asked now, ready to record. */
export interface CheckedDecision {
  purpose: string;
  purposeName: string;
  attributes: string[];
  apps: string[];
  granted: boolean;
  policy: ShownPolicy;
  validityDays: number | null;
}

/**
 * Checks decisions against what is asked now. The policy version recorded is the one the page
 * showed, and only if it is still the one in effect: a page rendered for an older version cannot
 * record acceptance of a newer one (nor of the older, superseded one). A required purpose must be
 * granted; an unknown purpose is refused. Every refusal comes with its JSON pointer.
 */
export async function checkDecisions(
  db: DbClient,
  input: ConsentDecisions & { userId?: string; locales: string[]; now: Date },
): Promise<{ rejected: FieldError[] } | { decisions: CheckedDecision[] }> {
  const request = await consentRequest(db, input);
  const rejected: FieldError[] = [];
  const checked: CheckedDecision[] = [];
  const policyOf = new Map(request.policies.map((policy) => [policy.policy, policy]));
  const staleReported = new Set<string>();
  for (const [id, granted] of Object.entries(input.decisions)) {
    const purpose = request.purposes.find((asked) => asked.id === id);
    const path = `/decisions/${pointerSegment(id)}`;
    if (!purpose) {
      rejected.push(fieldError(path, 'invalid_value', 'No such purpose is asked'));
      continue;
    }
    const policy = policyOf.get(purpose.policy) as ShownPolicy;
    const shownVersion = input.policies[purpose.policy];
    if (shownVersion !== policy.version) {
      if (!staleReported.has(purpose.policy))
        rejected.push(
          fieldError(
            `/policies/${pointerSegment(purpose.policy)}`,
            'policy_version_mismatch',
            `The ${purpose.policy} policy in effect is version ${policy.version}: show it, then decide`,
          ),
        );
      staleReported.add(purpose.policy);
      continue;
    }
    if (purpose.required && !granted) {
      rejected.push(fieldError(path, 'consent_required'));
      continue;
    }
    checked.push({
      purpose: purpose.id,
      purposeName: purpose.name,
      attributes: purpose.attributes,
      apps: purpose.apps,
      granted,
      policy,
      validityDays: purpose.validity_days ?? null,
    });
  }
  for (const purpose of request.purposes)
    if (purpose.required && purpose.decision !== 'granted' && !(purpose.id in input.decisions))
      rejected.push(fieldError(`/decisions/${pointerSegment(purpose.id)}`, 'consent_required'));
  return rejected.length ? { rejected } : { decisions: checked };
}
