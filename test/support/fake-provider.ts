import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration, interactionPolicy } from 'oidc-provider';

/** What the fake says of an account: its address, and whether it verified it (passed on as is). */
export interface FakeAccount {
  email: string;
  email_verified: boolean | string;
}

/**
 * An upstream OpenID Connect provider playing Google for social login: a second oidc-provider on
 * its own loopback port, issuer `http://localhost:{port}` (another host than the API's 127.0.0.1,
 * so a real browser keeps their cookies apart). One confidential client (client_secret_post, PKCE
 * required), the address and `email_verified` in the ID token as Google puts them there, and no
 * pages: whoever `signInAs` names signs in at the next interaction, with no consent asked.
 */
export async function startFakeProvider(client: {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}) {
  const accounts = new Map<string, FakeAccount>();
  let signedIn: string | undefined;
  let provider: Provider | undefined;
  /** Token requests to drop, as a network would: the connection cut before any answer. */
  let tokenDrops = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const oidc = provider as Provider;
    if (tokenDrops > 0 && req.url?.startsWith('/token')) {
      tokenDrops -= 1;
      req.socket.destroy();
      return;
    }
    const interaction = /^\/interaction\/[A-Za-z0-9_-]+$/.exec(req.url ?? '');
    if (!interaction) return oidc.callback()(req, res);
    if (!signedIn) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('no account to sign in as');
      return;
    }
    oidc
      .interactionFinished(
        req,
        res,
        { login: { accountId: signedIn } },
        { mergeWithLastSubmission: false },
      )
      .catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'fake-google' };

  // Google shows its account chooser at each sign-in: every authorization request is a login,
  // so each one signs in as `signInAs` names, whatever this browser did before.
  const prompts = interactionPolicy.base();
  prompts
    .get('login')
    ?.checks.add(
      new interactionPolicy.Check(
        'choose_account',
        'an account is chosen at each sign-in',
        (ctx) =>
          ctx.oidc.result?.login
            ? interactionPolicy.Check.NO_NEED_TO_PROMPT
            : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );

  const configuration: Configuration = {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [client.redirectUri],
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [jwk] } as Configuration['jwks'],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // The address and `email_verified` in the ID token, as Google sends them.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    findAccount: (_ctx, accountId) => ({
      accountId,
      claims: () => ({ sub: accountId, ...accounts.get(accountId) }),
    }),
    interactions: {
      policy: prompts,
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    // Consent is Google's own business: the scopes asked are granted at each sign-in.
    async loadExistingGrant(ctx) {
      const { client: rp, session } = ctx.oidc;
      if (!rp || !session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({
        clientId: rp.clientId,
        accountId: session.accountId,
      });
      grant.addOIDCScope('openid email');
      grant.addOIDCClaims(['email', 'email_verified']);
      await grant.save();
      return grant;
    },
  };
  provider = new Provider(issuer, configuration);

  return {
    issuer,
    /** The provider's accounts, by subject: the test fills it. */
    accounts,
    /** The account whoever reaches the next interaction signs in as. */
    signInAs(accountId: string) {
      signedIn = accountId;
    },
    /** Cuts the next token request's connection, unanswered (the code stays unused). */
    dropNextTokenRequest() {
      tokenDrops += 1;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export type FakeProvider = Awaited<ReturnType<typeof startFakeProvider>>;
