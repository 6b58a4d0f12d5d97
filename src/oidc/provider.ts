import type { JWK } from 'jose';
import Provider, {
  type Configuration,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Logger } from 'pino';
import type { AppRegistry } from '../apps/app-registry.js';
import { OIDC_SCOPES } from '../apps/client-fields.js';
import type { PrismaClient } from '../db/prisma.js';
import type { Keyring } from '../security/keyring.js';
import { isLive } from '../sessions/live-session.js';
import { createModelStore } from './adapter.js';
import { accountClaims } from './claims.js';
import { appClientAdapter } from './clients.js';
import { SCOPE_CLAIMS } from './scope-claims.js';

/**
 * Authentication context classes (OpenID Connect Core §2 `acr`), one per NIST SP 800-63B-4
 * assurance level a Parcours session proves. `acr_values` naming the second asks for step-up.
 */
export const ACR = { aal1: 'urn:parcours:aal1', aal2: 'urn:parcours:aal2' } as const;
export const acrOf = (aal: number) => (aal >= 2 ? ACR.aal2 : ACR.aal1);

/** The lifetimes the provider keeps things for, in seconds. */
const TTL = {
  AccessToken: 10 * 60,
  AuthorizationCode: 60,
  IdToken: 60 * 60,
  Interaction: 30 * 60,
  Session: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
  RefreshToken: 14 * 24 * 3600,
};

/** What a cookie is read from: an Express request or a Koa context. */
export interface CookieSource {
  get(field: string): string | undefined;
}

export interface OidcProviderDeps {
  /** `<public base URL>/oidc`: the same in every API process, so discovery is too. */
  issuer: string;
  prisma: PrismaClient;
  keyring: Keyring;
  apps: AppRegistry;
  /** From `loadSigningKeys`: private JWKs, the one that signs first for each algorithm. */
  jwks: { keys: JWK[] };
  /** Behind a TLS-offloading proxy (TRUST_PROXY): its X-Forwarded-Proto is believed. */
  proxy: boolean;
  /**
   * Lets the provider's calls out reach private and loopback addresses (tests on one machine);
   * otherwise oidc-provider refuses them on the connected socket (SSRF).
   */
  fetchPrivateAddresses?: boolean;
  /** Where the provider's own failures go (a back-channel logout not delivered, a server error). */
  log: Pick<Logger, 'warn' | 'error'>;
  /** SESSION_IDLE_HOURS: a Parcours session unused this long has ended, and so has its sign-in here. */
  sessionIdleMs: number;
  /**
   * The Parcours session the browser's hosted-pages cookie names: `absent` without the cookie,
   * `undefined` when it names no live session.
   */
  browserSession?: (request: CookieSource) => Promise<{ userId: string } | undefined | 'absent'>;
  now?: () => Date;
}

/**
 * The login prompt, plus checks of its own:
 * - `acr_values` naming aal 2 while the session proves aal 1 asks for an interaction (step-up), as
 *   `max_age` and `prompt=login` ask for a fresh sign-in;
 * - `parcours_session_ended`: the provider's session stands on a Parcours session. A browser of the
 *   hosted pages holds one in its cookie: it must be live and the same account's. Without the
 *   cookie (an app that finished the login with a bearer token), one of the account's sessions
 *   signed in at that very second (`auth_time`) must be live. Once it is logged out, revoked, idle or
 *   expired, the provider signs no one in on it.
 */
function policy(
  deps: Pick<OidcProviderDeps, 'prisma' | 'sessionIdleMs' | 'browserSession'>,
  now: () => Date,
) {
  const { base, Check } = interactionPolicy;
  const prompts = base();
  const login = prompts.get('login');
  login?.checks.add(
    new Check(
      'acr_values',
      'the requested authentication context class could not be obtained',
      (ctx: KoaContextWithOIDC) => {
        const wanted = String(ctx.oidc.params?.acr_values ?? '').split(' ');
        return wanted.includes(ACR.aal2) && ctx.oidc.session?.acr !== ACR.aal2
          ? Check.REQUEST_PROMPT
          : Check.NO_NEED_TO_PROMPT;
      },
    ),
  );
  login?.checks.add(
    new Check(
      'parcours_session_ended',
      'the Parcours session this sign-in stood on has ended',
      // As with no session at all (OpenID Connect Core §3.1.2.6): a sign-in is what is missing.
      'login_required',
      async (ctx: KoaContextWithOIDC) => {
        const session = ctx.oidc.session;
        if (!session?.accountId || session.loginTs === undefined) return Check.NO_NEED_TO_PROMPT;
        const held = deps.browserSession ? await deps.browserSession(ctx) : 'absent';
        if (held !== 'absent')
          return held?.userId === session.accountId
            ? Check.NO_NEED_TO_PROMPT
            : Check.REQUEST_PROMPT;
        const at = now();
        const rows = await deps.prisma.session.findMany({
          where: {
            userId: session.accountId,
            authTime: {
              gte: new Date(session.loginTs * 1000),
              lt: new Date((session.loginTs + 1) * 1000),
            },
          },
          select: { revokedAt: true, expiresAt: true, lastSeenAt: true },
        });
        return rows.some((row) => isLive(row, at, deps.sessionIdleMs))
          ? Check.NO_NEED_TO_PROMPT
          : Check.REQUEST_PROMPT;
      },
    ),
  );
  return prompts;
}

/**
 * Parcours as an OpenID Connect provider (panva's oidc-provider, mounted at `/oidc` in the API).
 * Clients are the registered apps; what it keeps is in PostgreSQL (adapter.ts); its keys are the
 * deployment's (signing-keys.ts, cookies from the keyring). Code flow only, PKCE (S256) for every
 * client, refresh tokens rotated at each use, exact redirect URIs, `iss` in every authorization
 * response (RFC 9207). Logins are Parcours sessions: the interaction routes (src/http/oidc-api.ts)
 * finish a login with the session's account, `acr`, `amr` and `auth_time`.
 */
export function createOidcProvider(deps: OidcProviderDeps): Provider {
  const { prisma, keyring, apps } = deps;
  const now = deps.now ?? (() => new Date());
  const store = createModelStore(prisma, keyring, now);
  const clients = appClientAdapter(prisma);
  const cookieKeys = keyring.derive('oidc-cookies');
  const configuration: Configuration = {
    adapter: (name: string) => (name === 'Client' ? clients : store(name)),
    clients: [],
    jwks: deps.jwks as Configuration['jwks'],
    // Signed cookies, under the keyring's keys (the active one signs, every listed one verifies).
    cookies: {
      keys: [cookieKeys.active, ...cookieKeys.kids.map((kid) => cookieKeys.key(kid))]
        .filter((key): key is Buffer => key !== undefined)
        .map((key) => key.toString('base64url')),
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    findAccount: (ctx, sub, token) => accountClaims(prisma, apps, ctx, sub, token, now),
    // How the customer signed in goes in every ID token (it comes from the session, not the profile).
    claims: {
      ...Object.fromEntries(
        Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]]),
      ),
      sid: null,
    },
    scopes: [...OIDC_SCOPES],
    acrValues: [ACR.aal1, ACR.aal2],
    subjectTypes: ['public'],
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    // Asymmetric only: a client's "secret" here is a placeholder for its hash (clients.ts).
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      requestObjectSigningAlgValues: ['RS256', 'ES256', 'PS256', 'EdDSA'],
      clientAuthSigningAlgValues: ['RS256', 'ES256', 'PS256', 'EdDSA'],
    },
    // OAuth 2.0 Security BCP (RFC 9700 §2.1.1): PKCE for every client, confidential ones too.
    pkce: { required: () => true },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    conformIdTokenClaims: true,
    ...(deps.fetchPrivateAddresses
      ? {
          // Without the guarded dispatcher oidc-provider sets: tests receive on loopback.
          fetch: (input: string | URL | Request, init?: RequestInit) => {
            const { dispatcher: _, ...options } = (init ?? {}) as RequestInit & {
              dispatcher?: unknown;
            };
            return globalThis.fetch(input, options);
          },
        }
      : {}),
    ttl: TTL,
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      backchannelLogout: { enabled: true },
      claimsParameter: { enabled: true },
    },
    interactions: {
      policy: policy(deps, now),
      url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}`,
    },
    /**
     * The brand's own apps need no consent screen: the scopes they are registered for are granted
     * at login. What a scope releases still passes the customer's consents (claims.ts).
     */
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      // The grant the consent interaction just made, else the one this session holds for the client.
      const existing = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (existing) {
        const grant = await ctx.oidc.provider.Grant.find(existing);
        if (grant) return grant;
      }
      // A partner's app (third party) is granted only what the customer agreed to, at consent.
      const app = await prisma.app.findUnique({
        where: { id: client.clientId },
        select: { kind: true },
      });
      if (app?.kind !== 'first_party') return undefined;
      const grant = new ctx.oidc.provider.Grant({
        clientId: client.clientId,
        accountId: session.accountId,
      });
      grant.addOIDCScope(String(client.scope ?? 'openid'));
      grant.addOIDCClaims(['acr', 'amr', 'auth_time']);
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(deps.issuer, configuration);
  provider.proxy = deps.proxy;
  provider.on('server_error', (_ctx, err) =>
    deps.log.error({ err }, 'OpenID Connect: server error'),
  );
  provider.on('backchannel.error', (_ctx, err, client) =>
    deps.log.warn(
      { err, client: client.clientId },
      'OpenID Connect: back-channel logout not delivered',
    ),
  );
  // The registry keeps each secret's SHA-256 only: it compares what a client presents.
  provider.Client.prototype.compareClientSecret = async function compare(actual: string) {
    return (await apps.authenticate(this.clientId, actual)) !== undefined;
  };
  return provider;
}
