import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { AppRegistry } from '../apps/app-registry.js';
import { releaseToApp } from '../consent/release.js';
import type { PrismaClient } from '../db/prisma.js';
import { loadCatalogue } from '../profile/attribute-catalogue.js';
import { readProfile } from '../profile/profile-store.js';

/**
 * The account behind a `sub`, for the provider's ID tokens and userinfo: only an active account
 * (one being erased, or suspended, gets no token and no claims). Its claims are what the app API
 * would give the same client: the profile as the catalogue lets that app read it, passed through
 * the customer's consents now (src/consent/release.ts). A withdrawal is seen by the next userinfo
 * call; the provider masks what the granted scopes do not cover.
 */
export async function accountClaims(
  prisma: PrismaClient,
  apps: Pick<AppRegistry, 'find'>,
  ctx: KoaContextWithOIDC,
  sub: string,
  token: { clientId?: string } | undefined,
  now: () => Date,
): Promise<Account | undefined> {
  const user = await prisma.user.findUnique({ where: { id: sub }, select: { status: true } });
  if (user?.status !== 'active') return undefined;
  return {
    accountId: sub,
    async claims() {
      const clientId = ctx.oidc.client?.clientId ?? token?.clientId;
      const app = clientId ? await apps.find(clientId) : undefined;
      if (!app) return { sub };
      const catalogue = await loadCatalogue(prisma);
      const profile = await readProfile(prisma, catalogue, sub, { party: 'app', app });
      const released = await releaseToApp(prisma, {
        userId: sub,
        appId: app.id,
        profile,
        now: now(),
      });
      return { ...released, sub };
    },
  };
}
