// "Sign in with Parcours": the smallest relying party, an app that sends its customers to Parcours
// to sign in and gets an ID token back (OpenID Connect code flow with PKCE, through openid-client).
//
//   CLIENT_SECRET=<the secret `npx parcours apps add` showed> node examples/sign-in-with-parcours.mjs
//
// Then open http://127.0.0.1:4000. Settings: PARCOURS_URL (http://127.0.0.1:3000), CLIENT_ID
// (demo), PORT (4000), UI_LOCALES (the pages' language: en or fr; the browser's, if unset).
import { createServer } from 'node:http';
import * as oidc from 'openid-client';

const parcours = (process.env.PARCOURS_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const clientId = process.env.CLIENT_ID ?? 'demo';
const clientSecret = process.env.CLIENT_SECRET;
const port = Number(process.env.PORT ?? 4000);
const redirectUri = `http://127.0.0.1:${port}/callback`;
if (!clientSecret) {
  console.error('Set CLIENT_SECRET to the client_secret `npx parcours apps add` printed.');
  process.exit(2);
}

// Discovery over plain http is for loopback only: a deployment's issuer is https.
const config = await oidc.discovery(
  new URL(`${parcours}/oidc`),
  clientId,
  undefined,
  oidc.ClientSecretBasic(clientSecret),
  { execute: parcours.startsWith('http://') ? [oidc.allowInsecureRequests] : [] },
);

/** Sign-ins under way, by the state the browser carries in its cookie: the PKCE verifier, nonce. */
const pending = new Map();
const page = (body) =>
  `<!doctype html><meta charset="utf-8"><title>Demo app</title><main>${body}</main>`;
const html = (text) => String(text).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', redirectUri);
  try {
    if (url.pathname === '/login') {
      const state = oidc.randomState();
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      pending.set(state, { verifier, nonce });
      const to = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...(process.env.UI_LOCALES ? { ui_locales: process.env.UI_LOCALES } : {}),
      });
      res.writeHead(302, {
        location: to.href,
        'set-cookie': `demo-state=${state}; Path=/callback; HttpOnly; SameSite=Lax`,
      });
      return res.end();
    }
    if (url.pathname === '/callback') {
      const state = /(?:^|; )demo-state=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const started = state && pending.get(state);
      if (!started) throw new Error('No sign-in under way in this browser');
      pending.delete(state);
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: started.verifier,
        expectedState: state,
        expectedNonce: started.nonce,
      });
      const claims = tokens.claims();
      const user = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(
        page(
          `<h1>Hello, ${html(user.email ?? claims.sub)}</h1><p>Signed in with Parcours.</p>` +
            `<pre id="claims">${html(JSON.stringify({ id_token: claims, userinfo: user }, null, 2))}</pre>`,
        ),
      );
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page('<h1>Demo app</h1><p><a href="/login">Sign in with Parcours</a></p>'));
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page(`<h1>Sign-in failed</h1><p>${html(error.message)}</p>`));
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`Demo app on http://127.0.0.1:${port} (signs in with ${parcours}/oidc)`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
