import * as oidc from 'openid-client';
import { expect } from 'vitest';
import { browserJar } from './browser-jar.js';
import { bearer } from './sign-up.js';

export type Browser = ReturnType<typeof browserJar>;

/**
 * A relying party of the provider at `issuer`, as an app would run one: openid-client over HTTP
 * (loopback, so plain http is allowed), a confidential client authenticating with HTTP Basic.
 */
export function relyingPartyOf(
  issuer: string,
  client: { id: string; secret: string; redirect: string },
) {
  const configuration = () =>
    oidc.discovery(new URL(issuer), client.id, undefined, oidc.ClientSecretBasic(client.secret), {
      execute: [oidc.allowInsecureRequests],
    });

  /**
   * The authorization request (code flow, PKCE S256, state and nonce) in a browser (a fresh one
   * unless given), as far as the interaction it leads to or the client's callback.
   */
  async function authorize(
    config: oidc.Configuration,
    extra: Record<string, string> = {},
    jar: Browser = browserJar(),
  ) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: client.redirect,
      scope: 'openid email offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    const reached = await jar.follow(url.href, client.redirect);
    return { jar, reached, verifier, state, nonce };
  }

  /**
   * Finishes the login interaction with a Parcours session (its bearer token), and the consent
   * one after it if asked; answers where the browser ends up, or the refusal.
   */
  async function finish(jar: Browser, interactionUrl: string, sessionToken: string) {
    const done = await jar.fetch(`${interactionUrl}/login`, {
      method: 'POST',
      headers: bearer(sessionToken),
    });
    if (done.status !== 200) return { refused: done };
    const reached = await jar.follow(
      new URL(((await done.json()) as { redirect_to: string }).redirect_to, interactionUrl).href,
      client.redirect,
    );
    if (!reached.response) return { reached };
    // offline_access asks for consent (OpenID Connect Core §11): the customer grants it.
    const interaction = (await reached.response.json()) as { prompt: { name: string } };
    expect(interaction.prompt.name).toBe('consent');
    const granted = await jar.fetch(`${reached.url}/consent`, {
      method: 'POST',
      headers: bearer(sessionToken),
    });
    expect(granted.status).toBe(200);
    const onwards = ((await granted.json()) as { redirect_to: string }).redirect_to;
    return { reached: await jar.follow(new URL(onwards, reached.url).href, client.redirect) };
  }

  /** Tokens for a customer's session, the whole way: authorize, finish, redeem the code. */
  async function tokensFor(sessionToken: string, extra: Record<string, string> = {}) {
    const config = await configuration();
    const { jar, reached, verifier, state, nonce } = await authorize(config, extra);
    const { reached: callback } = await finish(jar, reached.url, sessionToken);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback?.url as string), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    return { config, tokens };
  }

  return { configuration, authorize, finish, tokensFor };
}
