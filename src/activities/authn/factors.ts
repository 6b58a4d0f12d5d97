/** Second factors a sign-in can challenge: those enrolled and confirmed. */
export type FactorKind = 'totp' | 'recovery_code';

const FACTOR_KINDS: readonly FactorKind[] = ['totp', 'recovery_code'];

export function confirmedFactorsOf(
  credentials: Array<{ type: string; confirmedAt: Date | null }>,
): FactorKind[] {
  return FACTOR_KINDS.filter((kind) =>
    credentials.some((credential) => credential.type === kind && credential.confirmedAt),
  );
}
