import { standings } from '../consent/consent-state.js';
import type { PrismaClient } from '../db/prisma.js';

/**
 * Which claims each scope asks for (OpenID Connect Core §5.4). `openid` brings how the customer
 * signed in, from the session: the rest come from the profile, through the consent release.
 */
export const SCOPE_CLAIMS = {
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  profile: ['given_name', 'family_name', 'birthdate', 'zoneinfo', 'locale'],
  address: ['address'],
} as const;

/**
 * The purposes a customer has not granted that govern what these scopes ask of this app: the
 * consent@1 decisions a third-party client's consent prompt should run first. Without them the
 * claims are withheld all the same (the release), so this is a courtesy to the customer, never the
 * enforcement.
 */
export async function purposesToAsk(
  prisma: PrismaClient,
  input: { userId: string; clientId: string; scopes: string[]; now: Date },
): Promise<string[]> {
  const claims = new Set(
    input.scopes.flatMap((scope) => [...(SCOPE_CLAIMS[scope as keyof typeof SCOPE_CLAIMS] ?? [])]),
  );
  const purposes = await prisma.purpose.findMany({
    where: { apps: { has: input.clientId } },
    select: { id: true, attributes: true },
  });
  const governing = purposes.filter((purpose) =>
    purpose.attributes.some((attribute) => claims.has(attribute as never)),
  );
  if (governing.length === 0) return [];
  const standing = await standings(prisma, input.userId, input.now);
  return governing
    .filter((purpose) => standing.get(purpose.id)?.state !== 'granted')
    .map((purpose) => purpose.id);
}
