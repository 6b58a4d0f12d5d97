import type { DbClient } from '../db/prisma.js';
import type { Keyring } from '../security/keyring.js';
import { hmacSha256Hex } from '../security/tokens.js';

/** The blind index of an address: keyed, so the table alone tells no one whose it is. */
const subjectOf = (keyring: Keyring, address: string) =>
  hmacSha256Hex(keyring.derive('subject-index').active, address);
/** Under every key of the ring: rows written before a rotation are found too. */
const subjectsOf = (keyring: Keyring, address: string) => {
  const keys = keyring.derive('subject-index');
  return keys.kids.map((kid) => hmacSha256Hex(keys.key(kid) as Buffer, address));
};

/** Records that this run was handed this (canonical) address: once per run and address. */
export async function recordRunSubject(
  db: DbClient,
  keyring: Keyring,
  input: { runId: string; address: string },
): Promise<void> {
  await db.runSubject.createMany({
    data: [{ subject: subjectOf(keyring, input.address), runId: input.runId }],
    skipDuplicates: true,
  });
}

/** The runs handed any of these addresses (and the index rows, which go with the customer). */
export async function runsNaming(
  db: DbClient,
  keyring: Keyring,
  addresses: string[],
): Promise<{ runs: string[]; subjects: string[] }> {
  const subjects = addresses.flatMap((address) => subjectsOf(keyring, address));
  const rows = await db.runSubject.findMany({
    where: { subject: { in: subjects } },
    select: { runId: true },
  });
  return { runs: [...new Set(rows.map((row) => row.runId))], subjects };
}
