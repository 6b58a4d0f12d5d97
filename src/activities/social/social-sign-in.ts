import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { PrismaClient } from '../../db/prisma.js';
import { businessFailure } from '../../errors/journey-error.js';
import { openJson, sealJson } from '../../security/seal.js';
import { sha256Hex } from '../../security/tokens.js';
import { guardedFetch } from '../../social/guarded-fetch.js';
import { emailVerifiedOf, type SocialProvider } from '../../social/social-providers.js';
import { confirmedFactorsOf, type FactorKind } from '../authn/factors.js';
import type { ActivityDeps } from '../deps.js';
import { ownRun } from '../idempotency.js';
import { canonicalRecipient } from '../otp/recipients.js';

/** How long a customer may spend at the provider: a sign-in, perhaps an account to make there. */
const SIGN_IN_TTL_MS = 10 * 60_000;

/** What the provider proved, kept sealed with the sign-in until it is linked. */
interface UpstreamIdentity {
  issuer: string;
  subject: string;
  email?: string;
  emailVerified: boolean;
}

interface SealedSignIn {
  verifier: string;
  nonce: string;
  identity?: UpstreamIdentity;
}

/** Where a social sign-in stands once the provider answered (what the journey does next). */
export type SocialOutcome =
  /** Its identity was linked to an account already, or is now: signed in, a second factor next. */
  | { outcome: 'signed_in'; userId: string; factors: FactorKind[] }
  /** No account had its address: one was made, with the address the provider verified. */
  | { outcome: 'created'; userId: string; factors: FactorKind[] }
  /** An account has its address but may not be linked by it: its owner proves it first. */
  | { outcome: 'prove_account'; email: string };

/**
 * Social login (OpenID Connect, openid-client): the authorization request with state, nonce and
 * PKCE (S256), then the provider's answer checked and exchanged by the worker itself, so the run
 * trusts nothing it did not verify. The answer's `state` must be the one this run made; the code is
 * redeemed with this run's verifier; the ID token's signature, `iss`, `aud`, `exp` and `nonce` are
 * checked by openid-client against the provider's discovered keys. Linked identities are keyed on
 * issuer and subject, never on an address. Every call out goes through the guarded fetch (no
 * private or loopback address, https only) outside tests.
 */
export function socialActivities(deps: ActivityDeps) {
  const { prisma, now } = deps;
  const keys = deps.keyring.derive('social-sign-ins');
  const providers = new Map((deps.socialProviders ?? []).map((p) => [p.id, p] as const));
  const fetchOut = guardedFetch({ allowPrivate: deps.socialFetchPrivate === true });
  const configurations = new Map<string, Promise<oidc.Configuration>>();

  const providerNamed = (id: string): SocialProvider => {
    const provider = providers.get(id);
    if (!provider) throw businessFailure('social_provider_unknown');
    return provider;
  };

  /** The provider's discovered configuration, once per process (a failure is tried again). */
  function configurationOf(provider: SocialProvider): Promise<oidc.Configuration> {
    let found = configurations.get(provider.id);
    if (!found) {
      found = oidc
        .discovery(
          new URL(provider.issuer),
          provider.client_id,
          { redirect_uris: [provider.redirect_uri], response_types: ['code'] },
          oidc.ClientSecretPost(provider.client_secret),
          {
            [oidc.customFetch]: fetchOut as never,
            ...(deps.socialFetchPrivate ? { execute: [oidc.allowInsecureRequests] } : {}),
          },
        )
        .then((configuration) => {
          configuration[oidc.customFetch] = fetchOut as never;
          return configuration;
        });
      found.catch(() => configurations.delete(provider.id));
      configurations.set(provider.id, found);
    }
    return found;
  }

  const open = (row: { sealed: Uint8Array }, journeyId: string) =>
    openJson<SealedSignIn>(keys, row.sealed, journeyId);

  /** An account that may sign in (not being erased), with its second factors. */
  async function accountOf(db: PrismaClient, userId: string) {
    const user = await db.user.findUnique({
      where: { id: userId },
      select: {
        status: true,
        credentials: {
          where: { confirmedAt: { not: null } },
          select: { type: true, confirmedAt: true },
        },
      },
    });
    if (!user || !['active', 'erasure_pending'].includes(user.status))
      throw businessFailure('social_sign_in_failed');
    return { userId, factors: confirmedFactorsOf(user.credentials) };
  }

  return {
    /**
     * The authorization request for this run: a state that names the run (so the answer finds its
     * browser's flow) and carries 128 random bits (so no one else's answer fits it), a nonce and a
     * PKCE verifier, kept sealed. Answers the URL to send the browser to.
     */
    async beginSocialSignIn(input: {
      journeyId: string;
      provider: string;
    }): Promise<{ authorizationUrl: string }> {
      const journeyId = ownRun(input.journeyId);
      const provider = providerNamed(input.provider);
      const configuration = await configurationOf(provider).catch(() => {
        throw businessFailure('social_sign_in_failed');
      });
      const state = `${journeyId}.${randomBytes(16).toString('base64url')}`;
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const at = now();
      const row = {
        provider: provider.id,
        stateHash: sha256Hex(state),
        sealed: sealJson(keys, { verifier, nonce } satisfies SealedSignIn, journeyId),
        expiresAt: new Date(at.getTime() + SIGN_IN_TTL_MS),
        usedAt: null,
      };
      await prisma.socialSignIn.upsert({
        where: { journeyId },
        create: { journeyId, ...row, createdAt: at },
        update: row,
      });
      const url = oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: provider.redirect_uri,
        scope: provider.scopes,
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      return { authorizationUrl: url.href };
    },

    /**
     * The provider's answer: checked, redeemed once, and resolved to an account. Linking by address
     * happens only for a provider on the allow-list (`link_verified_email`) that says the address is
     * verified, to an account whose address was verified too; an account is made here only on the
     * word of such a provider that it verified the address. Anything else asks the account's owner
     * to sign in first: an unverified address never takes an account over (the pre-hijacked
     * account attack).
     */
    async completeSocialSignIn(input: {
      journeyId: string;
      provider: string;
      /** The code, as a vault reference (it is a credential: never in history). */
      code?: string;
      state: string;
      iss?: string;
      error?: string;
    }): Promise<SocialOutcome> {
      const journeyId = ownRun(input.journeyId);
      const provider = providerNamed(input.provider);
      // Revealed, not taken: a retry after a failed call to the provider reads it again.
      const code = input.code ? await deps.vault.reveal(input.code) : undefined;
      const at = now();
      const row = await prisma.socialSignIn.findFirst({
        where: {
          journeyId,
          provider: provider.id,
          stateHash: sha256Hex(input.state),
          usedAt: null,
          expiresAt: { gt: at },
        },
      });
      if (!row || input.error || !code) throw businessFailure('social_sign_in_failed');
      const { verifier, nonce } = open(row, journeyId);
      const callback = new URL(provider.redirect_uri);
      callback.searchParams.set('code', code);
      callback.searchParams.set('state', input.state);
      if (input.iss) callback.searchParams.set('iss', input.iss);
      let identity: UpstreamIdentity;
      try {
        const configuration = await configurationOf(provider);
        const tokens = await oidc.authorizationCodeGrant(configuration, callback, {
          pkceCodeVerifier: verifier,
          expectedState: input.state,
          expectedNonce: nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims() as oidc.IDToken;
        // Where the ID token leaves the address out (as OpenID Connect allows), userinfo has it.
        const profile =
          claims.email === undefined
            ? await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub)
            : claims;
        identity = {
          issuer: claims.iss,
          subject: claims.sub,
          ...(typeof profile.email === 'string'
            ? { email: canonicalRecipient('email', profile.email) }
            : {}),
          emailVerified: emailVerifiedOf(profile.email_verified),
        };
      } catch (error) {
        if (
          error instanceof oidc.ResponseBodyError ||
          error instanceof oidc.AuthorizationResponseError
        )
          throw businessFailure('social_sign_in_failed');
        if (
          error instanceof Error &&
          /^OAUTH_|^ERR_JWT|^ERR_JWS/.test(String((error as { code?: unknown }).code))
        )
          throw businessFailure('social_sign_in_failed');
        throw error;
      }
      // One answer per sign-in: spent once the provider took the code (which it takes only once).
      const spent = await prisma.socialSignIn.updateMany({
        where: { journeyId, usedAt: null },
        data: { usedAt: at },
      });
      if (spent.count !== 1) throw businessFailure('social_sign_in_failed');
      if (input.code) await deps.vault.take(input.code);
      const linked = await prisma.linkedIdentity.findUnique({
        where: { issuer_subject: { issuer: identity.issuer, subject: identity.subject } },
      });
      if (linked) return { outcome: 'signed_in', ...(await accountOf(prisma, linked.userId)) };
      if (!identity.email) throw businessFailure('social_email_unverified');
      const owner = await prisma.identifier.findUnique({
        where: { type_value: { type: 'email', value: identity.email } },
        select: { userId: true, verifiedAt: true },
      });
      if (owner) {
        if (provider.link_verified_email && identity.emailVerified && owner.verifiedAt) {
          await link(prisma, owner.userId, identity, provider.id, at);
          return { outcome: 'signed_in', ...(await accountOf(prisma, owner.userId)) };
        }
        await prisma.socialSignIn.update({
          where: { journeyId },
          data: { sealed: sealJson(keys, { verifier, nonce, identity }, journeyId) },
        });
        return { outcome: 'prove_account', email: identity.email };
      }
      // Only a provider trusted to verify addresses vouches for one: an account made on another's
      // word would carry an address no one proved, and a trusted provider would link to it later
      // (a pre-hijacked account). Its customers register first, then link by signing in.
      if (!identity.emailVerified || !provider.link_verified_email)
        throw businessFailure('social_email_unverified');
      const email = identity.email;
      const userId = await prisma.$transaction(async (tx) => {
        const user = await tx.user.create({
          data: {
            createdByJourney: journeyId,
            createdAt: at,
            identifiers: {
              create: { type: 'email', value: email, verifiedAt: at, createdAt: at },
            },
          },
          select: { id: true },
        });
        await link(tx as unknown as PrismaClient, user.id, identity, provider.id, at);
        return user.id;
      });
      return { outcome: 'created', userId, factors: [] };
    },

    /**
     * Links the identity this run's provider proved to the account its owner just signed in to
     * (the password of the account that has the provider's address).
     */
    async linkSocialIdentity(input: {
      journeyId: string;
      userId: string;
    }): Promise<{ linked: true }> {
      const journeyId = ownRun(input.journeyId);
      const row = await prisma.socialSignIn.findUnique({ where: { journeyId } });
      const identity = row ? open(row, journeyId).identity : undefined;
      if (!row || !identity) throw businessFailure('social_sign_in_failed');
      await link(prisma, input.userId, identity, row.provider, now());
      return { linked: true };
    },
  };
}

/** The link itself, once (issuer and subject are unique: a second link of the same is a no-op). */
async function link(
  db: PrismaClient,
  userId: string,
  identity: UpstreamIdentity,
  provider: string,
  at: Date,
) {
  await db.linkedIdentity.upsert({
    where: { issuer_subject: { issuer: identity.issuer, subject: identity.subject } },
    create: { userId, issuer: identity.issuer, subject: identity.subject, provider, createdAt: at },
    update: {},
  });
}
