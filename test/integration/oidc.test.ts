import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserJar } from '../support/browser-jar.js';
import { stepApiClient } from '../support/http.js';
import { type Browser, relyingPartyOf } from '../support/oidc-flow.js';
import { enrolTotp, loginClientAt, nextCode, signIn } from '../support/sign-in.js';
import { bearer, signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'oidc-test-operator-key-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const REDIRECT = 'https://shop.example.test/callback';

/*
 * Parcours as an OpenID Connect provider, driven by a real relying party (openid-client) over
 * HTTP: code flow with PKCE, ID tokens checked with jose against the published keys, userinfo,
 * refresh rotation. The customer's sign-in is a Parcours session made by login@1 over the step API.
 */
describe('the OpenID Connect provider', () => {
  let smtp: SmtpSink;
  let stack: Stack;
  let api: ReturnType<typeof stepApiClient>;
  let issuer: string;
  let secret: string;
  let clientIp = 0;
  const party = () => relyingPartyOf(issuer, { id: 'shop', secret, redirect: REDIRECT });

  beforeAll(async () => {
    smtp = await startSmtpSink();
    stack = await startStack({
      smtpUrl: smtp.url,
      // The back-channel logout receiver is a server of this test, on loopback.
      env: {
        PARCOURS_ADMIN_KEY: ADMIN_KEY,
        TRUST_PROXY: '1',
        OIDC_FETCH_PRIVATE_ADDRESSES: 'true',
      },
    });
    api = stepApiClient(stack.url);
    issuer = `${stack.url}/oidc`;
    const added = await api.call('POST', '/v1/admin/apps', {
      headers: admin,
      body: {
        id: 'shop',
        name: 'The shop',
        kind: 'first_party',
        // What the app may read at all (the catalogue, by app); scopes and consent narrow it.
        attributes: ['email', 'email_verified', 'given_name'],
        redirect_uris: [REDIRECT],
        scopes: ['openid', 'email', 'profile', 'offline_access'],
        grant_types: ['authorization_code', 'refresh_token'],
      },
    });
    expect(added.status).toBe(201);
    secret = added.body.client_secret;
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  /** A customer signed in over the step API (login@1), as the hosted pages will do it. */
  async function sessionOf(customer: { email: string; password: string }) {
    clientIp += 1;
    const login = loginClientAt(stack.url, `198.51.100.${clientIp}`);
    const { answer } = await signIn(login, customer.email, customer.password);
    expect(answer.body.status).toBe('completed');
    return answer.body.result.session.token as string;
  }

  const relyingParty = () => party().configuration();
  const authorize = (config: oidc.Configuration, extra?: Record<string, string>) =>
    party().authorize(config, extra);
  const finish = (jar: Browser, interactionUrl: string, sessionToken: string) =>
    party().finish(jar, interactionUrl, sessionToken);

  it('signs a customer in with code and PKCE: the ID token carries the Parcours session’s acr, amr and auth_time', async () => {
    const customer = await signUp(api, smtp);
    const config = await relyingParty();
    const { jar, reached, verifier, state, nonce } = await authorize(config);
    expect(reached.url).toMatch(/\/oidc\/interaction\/[\w-]+$/);
    const interaction = await reached.response?.json();
    expect(interaction).toMatchObject({
      prompt: { name: 'login' },
      client: { client_id: 'shop', name: 'The shop' },
      journey: { journey: 'login', start: { client_id: 'shop' } },
    });
    const token = await sessionOf(customer);
    const { reached: callback } = await finish(jar, reached.url, token);
    const returned = new URL(callback?.url as string);
    // RFC 9207: the issuer names itself in the authorization response.
    expect(returned.searchParams.get('iss')).toBe(issuer);
    const tokens = await oidc.authorizationCodeGrant(config, returned, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token as string, jwks, {
      issuer,
      audience: 'shop',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      sub: customer.userId,
      acr: 'urn:parcours:aal1',
      amr: ['pwd'],
      nonce,
    });
    expect(Math.abs((payload.auth_time as number) - Date.now() / 1000)).toBeLessThan(60);
    const info = await oidc.fetchUserInfo(config, tokens.access_token, customer.userId);
    expect(info).toMatchObject({
      sub: customer.userId,
      email: customer.email,
      email_verified: true,
    });
    // Refresh tokens rotate: the new one works, the spent one no longer does.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toThrow();
    // A spent refresh token presented again is a theft: the whole grant goes (RFC 9700 §4.14.2).
    await expect(
      oidc.refreshTokenGrant(config, refreshed.refresh_token as string),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses an authorization request without PKCE, or with the plain method (RFC 9700 §2.1.1)', async () => {
    const config = await relyingParty();
    for (const params of [
      { code_challenge: '', code_challenge_method: '' },
      { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
    ]) {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid',
        state: 'pkce',
        ...params,
      });
      if (!params.code_challenge) url.searchParams.delete('code_challenge');
      if (!params.code_challenge_method) url.searchParams.delete('code_challenge_method');
      const jar = browserJar();
      const { url: reached } = await jar.follow(url.href, REDIRECT);
      const error = new URL(reached).searchParams;
      expect(error.get('error')).toBe('invalid_request');
    }
  });

  it('sends nowhere but a registered redirect URI, matched exactly (open redirect fuzz)', async () => {
    const config = await relyingParty();
    for (const redirect of [
      'https://shop.example.test@evil.example/callback',
      'https://shop.example.test/callback/../evil',
      'https://shop.example.test/callback%2F..%2Fevil',
      'https://shop.example.test/callback/..;/evil',
      'https://shop.example.test\\@evil.example/callback',
      'https://user@shop.example.test/callback',
      'https://shop.example.test:8443/callback',
      'https://shop.xn--exmple-cua.test/callback',
      'https://shop.example.test/callback?extra=1',
      'https://SHOP.example.test/callback',
      'http://shop.example.test/callback',
    ]) {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirect,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const answer = await browserJar().fetch(url.href);
      expect(answer.status, redirect).toBe(400);
      expect(answer.headers.get('location'), redirect).toBeNull();
    }
  });

  it('answers prompt=none without a session with login_required, at the client’s callback', async () => {
    const config = await relyingParty();
    const { reached } = await authorize(config, { prompt: 'none' });
    expect(new URL(reached.url).searchParams.get('error')).toBe('login_required');
  });

  it('signs no one in on a Parcours session that was logged out: a silent request then needs a sign-in', async () => {
    const customer = await signUp(api, smtp);
    const sessionToken = await sessionOf(customer);
    const config = await relyingParty();
    const { jar, reached } = await authorize(config);
    const { reached: callback } = await finish(jar, reached.url, sessionToken);
    expect(callback?.url.startsWith(REDIRECT)).toBe(true);
    const silent = () => party().authorize(config, { prompt: 'none', scope: 'openid email' }, jar);
    expect(new URL((await silent()).reached.url).searchParams.get('code')).toBeTruthy();
    // Every session of the account logged out through the API: the provider's sign-in stood on one.
    for (const token of [sessionToken, customer.sessionToken])
      expect(
        (await api.call('DELETE', '/v1/sessions/current', { headers: bearer(token) })).status,
      ).toBe(204);
    expect(new URL((await silent()).reached.url).searchParams.get('error')).toBe('login_required');
  });

  it('asks for a second factor when acr_values names aal 2: a password session is refused with the step-up to run', async () => {
    const customer = await signUp(api, smtp);
    const { secret: totp } = await enrolTotp(api, customer.sessionToken);
    const config = await relyingParty();
    const { jar, reached } = await authorize(config, { acr_values: 'urn:parcours:aal2' });
    clientIp += 1;
    const login = loginClientAt(stack.url, `198.51.100.${clientIp}`);
    const { id, token, answer } = await signIn(login, customer.email, customer.password);
    // The account has a TOTP key: login@1 asks for it, and the session proves aal 2 after it.
    expect(answer.body.step?.name).toBe('totp');
    const passed = await login.submit(id, token, 'totp', { code: await nextCode(totp) });
    expect(passed.body.result.session.aal).toBe(2);
    const { reached: callback } = await finish(jar, reached.url, passed.body.result.session.token);
    expect(new URL(callback?.url as string).searchParams.get('code')).toBeTruthy();

    // A session at aal 1 (an account without a second factor) does not satisfy aal 2.
    const plain = await signUp(api, smtp);
    const again = await authorize(config, { acr_values: 'urn:parcours:aal2' });
    const { refused } = await finish(again.jar, again.reached.url, await sessionOf(plain));
    expect(refused?.status).toBe(403);
    expect(await refused?.json()).toMatchObject({
      code: 'stronger_authentication_required',
      step_up: { href: '/v1/journeys/step-up/start', body: { aal: 2 } },
    });
  });

  it('wants a sign-in made after the request under prompt=login, not an older session', async () => {
    const customer = await signUp(api, smtp);
    const earlier = await sessionOf(customer);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const config = await relyingParty();
    const { jar, reached } = await authorize(config, { prompt: 'login' });
    const { refused } = await finish(jar, reached.url, earlier);
    expect(refused?.status).toBe(403);
    expect(await refused?.json()).toMatchObject({ code: 'reauthentication_required' });
    const { reached: callback } = await finish(jar, reached.url, await sessionOf(customer));
    expect(new URL(callback?.url as string).searchParams.get('code')).toBeTruthy();
  });

  it('finishes an interaction only in its own browser, and a consent only for the customer it signed in (login CSRF)', async () => {
    const alice = await signUp(api, smtp);
    const mallory = await signUp(api, smtp);
    const config = await relyingParty();
    const { jar, reached } = await authorize(config);
    const aliceSession = await sessionOf(alice);
    // Another browser (no interaction cookie) cannot finish it, even with a good session.
    const elsewhere = await browserJar().fetch(`${reached.url}/login`, {
      method: 'POST',
      headers: bearer(aliceSession),
    });
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ code: 'interaction_not_found' });
    const login = await jar.fetch(`${reached.url}/login`, {
      method: 'POST',
      headers: bearer(aliceSession),
    });
    expect(login.status).toBe(200);
    const { redirect_to } = (await login.json()) as { redirect_to: string };
    const consent = await jar.follow(new URL(redirect_to, reached.url).href, REDIRECT);
    expect(await consent.response?.json()).toMatchObject({ prompt: { name: 'consent' } });
    // Alice's consent is hers to give: another customer's session is refused, and nothing granted.
    const forged = await jar.fetch(`${consent.url}/consent`, {
      method: 'POST',
      headers: bearer(await sessionOf(mallory)),
    });
    expect(forged.status).toBe(404);
    const granted = await jar.fetch(`${consent.url}/consent`, {
      method: 'POST',
      headers: bearer(aliceSession),
    });
    expect(granted.status).toBe(200);
  });

  it('revokes what a code gave when the code is used a second time (RFC 6749 §4.1.2)', async () => {
    const customer = await signUp(api, smtp);
    const config = await relyingParty();
    const { jar, reached, verifier, state, nonce } = await authorize(config);
    const { reached: callback } = await finish(jar, reached.url, await sessionOf(customer));
    const returned = new URL(callback?.url as string);
    const checks = { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce };
    const tokens = await oidc.authorizationCodeGrant(config, returned, checks);
    await expect(oidc.authorizationCodeGrant(config, returned, checks)).rejects.toThrow();
    await expect(
      oidc.fetchUserInfo(config, tokens.access_token, customer.userId),
    ).rejects.toThrow();
  });

  it('keeps no code, token or session id in the database, only their hashes beside sealed payloads', async () => {
    const customer = await signUp(api, smtp);
    const config = await relyingParty();
    const { jar, reached, verifier, state, nonce } = await authorize(config);
    const { reached: callback } = await finish(jar, reached.url, await sessionOf(customer));
    const returned = new URL(callback?.url as string);
    const code = returned.searchParams.get('code') as string;
    const tokens = await oidc.authorizationCodeGrant(config, returned, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const rows = await stack.prisma.$queryRaw<Array<{ dump: string }>>`
      SELECT string_agg(kind || id_hash || encode(payload, 'escape'), ' ') AS dump FROM oidc_models`;
    const dump = rows[0]?.dump ?? '';
    for (const secretValue of [
      code,
      tokens.access_token,
      tokens.refresh_token as string,
      customer.email,
    ])
      expect(dump).not.toContain(secretValue);
    expect(dump).toContain('AuthorizationCode');
  });

  it('ends the customer’s session at the provider on the client’s request, back to a registered address, and tells the clients that asked (back-channel logout)', async () => {
    const told: string[] = [];
    const listener = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        told.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    const back = 'https://desk.example.test/signed-out';
    const added = await api.call('POST', '/v1/admin/apps', {
      headers: admin,
      body: {
        id: 'desk',
        name: 'The help desk',
        kind: 'first_party',
        redirect_uris: [REDIRECT],
        post_logout_redirect_uris: [back],
        backchannel_logout_uri: `http://127.0.0.1:${port}/backchannel`,
      },
    });
    expect(added.status).toBe(201);
    try {
      const desk = relyingPartyOf(issuer, {
        id: 'desk',
        secret: added.body.client_secret,
        redirect: REDIRECT,
      });
      const config = await desk.configuration();
      const customer = await signUp(api, smtp);
      const { jar, reached, verifier, state, nonce } = await desk.authorize(config, {
        scope: 'openid',
        prompt: 'login',
      });
      const { reached: callback } = await desk.finish(jar, reached.url, await sessionOf(customer));
      const tokens = await oidc.authorizationCodeGrant(config, new URL(callback?.url as string), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      });
      const sid = tokens.claims()?.sid;
      expect(sid).toEqual(expect.any(String));

      // Signed in at the provider: a silent request from this browser gets a code.
      const signedIn = await desk.authorize(config, { prompt: 'none', scope: 'openid' }, jar);
      expect(new URL(signedIn.reached.url).searchParams.get('code')).toBeTruthy();

      // An address the client did not register is refused, and nothing ends.
      const elsewhere = oidc.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token as string,
        post_logout_redirect_uri: 'https://evil.example/',
      });
      expect((await jar.fetch(elsewhere.href)).status).toBe(400);

      const end = oidc.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token as string,
        post_logout_redirect_uri: back,
        state: 'bye',
      });
      const confirm = await jar.fetch(end.href);
      expect(confirm.status).toBe(200);
      const page = await confirm.text();
      const action = page.match(/action="([^"]+)"/)?.[1] as string;
      const xsrf = page.match(/name="xsrf" value="([^"]+)"/)?.[1] as string;
      const ended = await jar.fetch(new URL(action, issuer).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
      });
      expect(ended.status).toBe(303);
      expect(ended.headers.get('location')).toBe(`${back}?state=bye`);
      await expect.poll(() => told.length, { timeout: 5_000 }).toBe(1);
      const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
      const { payload } = await jwtVerify(told[0] as string, jwks, { issuer, audience: 'desk' });
      expect(payload).toMatchObject({
        sub: customer.userId,
        sid,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      });
      // The session at the provider is gone from this browser: a silent request needs a sign-in.
      const silent = await desk.authorize(config, { prompt: 'none', scope: 'openid' }, jar);
      expect(new URL(silent.reached.url).searchParams.get('error')).toBe('login_required');
    } finally {
      listener.close();
    }
  });
});
