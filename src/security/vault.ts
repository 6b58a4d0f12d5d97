import { isNotFound, type PrismaClient } from '../db/prisma.js';
import type { Keyring } from './keyring.js';
import { openBytes, sealBytes } from './seal.js';
import { SECRET_REF_PATTERN } from './secret-ref.js';
import { randomToken } from './tokens.js';

/** A reference to a secret in the vault: what workflows carry instead of the secret. */
export type SecretRef = `sec_${string}`;

export interface Vault {
  put(secret: {
    purpose: string;
    value: string;
    ttlMs: number;
    ref?: SecretRef;
  }): Promise<SecretRef>;
  /** The secret behind a live reference, or undefined once expired or taken. */
  reveal(ref: string): Promise<string | undefined>;
  /** Reveals once: the reference is gone afterwards (tokens shown to the customer once). */
  take(ref: string): Promise<string | undefined>;
  purgeExpired(): Promise<number>;
}

export const isSecretRef = (value: unknown): value is SecretRef =>
  typeof value === 'string' && SECRET_REF_PATTERN.test(value);

/**
 * Short-lived secrets that must travel by reference (DESIGN: no secret in Temporal history):
 * encrypted with AES-256-GCM, bound to their reference, expiring on their own.
 */
export function createVault(
  prisma: PrismaClient,
  keyring: Keyring,
  now: () => Date = () => new Date(),
): Vault {
  const keys = keyring.derive('secret-vault');
  const open = (row: { ciphertext: Uint8Array; expiresAt: Date } | null, ref: string) =>
    !row || row.expiresAt <= now()
      ? undefined
      : Buffer.from(openBytes(keys, row.ciphertext, ref)).toString('utf8');
  return {
    async put({ purpose, value, ttlMs, ref = `sec_${randomToken(24)}` }) {
      const ciphertext = sealBytes(keys, Buffer.from(value, 'utf8'), ref);
      const expiresAt = new Date(now().getTime() + ttlMs);
      await prisma.secretRef.upsert({
        where: { id: ref },
        create: { id: ref, purpose, ciphertext, expiresAt },
        update: { ciphertext, expiresAt },
      });
      return ref;
    },
    async reveal(ref) {
      if (!isSecretRef(ref)) return undefined;
      return open(await prisma.secretRef.findUnique({ where: { id: ref } }), ref);
    },
    // One statement (DELETE … RETURNING): two callers can never both take the same secret.
    async take(ref) {
      if (!isSecretRef(ref)) return undefined;
      try {
        return open(await prisma.secretRef.delete({ where: { id: ref } }), ref);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async purgeExpired() {
      const { count } = await prisma.secretRef.deleteMany({ where: { expiresAt: { lte: now() } } });
      return count;
    },
  };
}
