import { hash, verify } from '@node-rs/argon2';

// OWASP Password Storage Cheat Sheet (argon2id, m=19 MiB, t=2, p=1) and ASVS 4.0 §2.4.1.
// `algorithm: 2` is Argon2id: the package's const enum cannot be imported under isolatedModules.
const ARGON2ID_OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Unicode NFKC, so the same password typed on different keyboards hashes alike (NIST SP 800-63B §5.1.1.2). */
export function normalizePassword(pw: string): string {
  return pw.normalize('NFKC');
}

/** argon2id PHC string of the normalized password. */
export function hashPassword(pw: string): Promise<string> {
  return hash(normalizePassword(pw), ARGON2ID_OPTIONS);
}

/** Whether `pw` (normalized) matches a PHC hash from `hashPassword`; the parameters are read from the hash. */
export function verifyPassword(passwordHash: string, pw: string): Promise<boolean> {
  return verify(passwordHash, normalizePassword(pw));
}

/**
 * Whether a stored hash was made with other parameters than today's policy (or another algorithm):
 * it is replaced on the next successful sign-in, when the password is at hand (ASVS 2.4.1).
 */
export function needsRehash(passwordHash: string): boolean {
  const { memoryCost, timeCost, parallelism } = ARGON2ID_OPTIONS;
  return !passwordHash.startsWith(`$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$`);
}

/** The parameters passwords are hashed with, as a PHC fragment (for documentation and benchmarks). */
export const PASSWORD_HASH_PARAMETERS = `argon2id m=${ARGON2ID_OPTIONS.memoryCost} KiB, t=${ARGON2ID_OPTIONS.timeCost}, p=${ARGON2ID_OPTIONS.parallelism}`;
