import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runParcours } from '../../src/cli/parcours.js';
import { browserJar } from '../support/browser-jar.js';
import { stepApiClient } from '../support/http.js';
import { freePort } from '../support/page-forms.js';
import { signUp } from '../support/sign-up.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'sign-in-example-operator-key-0123456789abcdef';
const EXAMPLE = fileURLToPath(new URL('../../examples/sign-in-with-parcours.mjs', import.meta.url));
const HTML = { accept: 'text/html' };

let smtp: SmtpSink;
let stack: Stack;
let example: ChildProcess | undefined;
const keyBefore = process.env.PARCOURS_ADMIN_KEY;

beforeAll(async () => {
  smtp = await startSmtpSink();
  stack = await startStack({ smtpUrl: smtp.url, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
  process.env.PARCOURS_ADMIN_KEY = ADMIN_KEY;
}, 60_000);
afterAll(async () => {
  example?.kill('SIGTERM');
  if (keyBefore === undefined) delete process.env.PARCOURS_ADMIN_KEY;
  else process.env.PARCOURS_ADMIN_KEY = keyBefore;
  await stack?.stop();
  await smtp?.close();
});

/*
 * The README's "Sign in with Parcours in five minutes", as a newcomer runs it: the client
 * registered with the CLI, the openid-client example app started, the hosted login page shown,
 * and the app greeting the customer by the address Parcours vouches for.
 */
it('runs the README’s sign-in example: the CLI registers the client, the example app signs a customer in through the hosted pages', async () => {
  const port = await freePort();
  const out: string[] = [];
  const code = await runParcours(
    [
      'apps',
      'add',
      'demo',
      '--name',
      'Demo app',
      '--kind',
      'first_party',
      '--attributes',
      'email,email_verified',
      '--redirect-uris',
      `http://127.0.0.1:${port}/callback`,
      '--scopes',
      'openid,email',
      '--api',
      stack.url,
    ],
    { out: (text) => out.push(text), err: (text) => out.push(text) },
  );
  expect(code).toBe(0);
  const secret = JSON.parse(out.join('\n')).client_secret as string;

  example = spawn(process.execPath, [EXAMPLE], {
    env: { ...process.env, PARCOURS_URL: stack.url, CLIENT_SECRET: secret, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(example.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  expect(line.toString()).toContain(`http://127.0.0.1:${port}`);

  const customer = await signUp(stepApiClient(stack.url), smtp);
  const jar = browserJar();
  // The app's sign-in link leads, through the provider, to the hosted login page.
  let url = `http://127.0.0.1:${port}/login`;
  let page: Response | undefined;
  for (let hop = 0; hop < 10 && !page; hop += 1) {
    const answer = await jar.fetch(url, { headers: HTML });
    const location = answer.headers.get('location');
    if (location) url = new URL(location, url).href;
    else page = answer;
  }
  expect(url).toMatch(/\/pages\/flow\/jrn_/);
  const html = await (page as Response).text();
  expect(html).toContain('to continue to Demo app');
  const csrf = html.match(/name="_csrf" value="([^"]+)"/)?.[1] as string;
  const signedIn = await jar.fetch(url, {
    method: 'POST',
    headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      _csrf: csrf,
      _step: 'identify',
      _form: '1',
      email: customer.email,
      password: customer.password,
    }).toString(),
  });
  // Back through the provider to the app's callback, which greets the customer.
  url = new URL(signedIn.headers.get('location') as string, url).href;
  let greeting: string | undefined;
  for (let hop = 0; hop < 10 && greeting === undefined; hop += 1) {
    const answer = await jar.fetch(url, { headers: HTML });
    const location = answer.headers.get('location');
    if (location) url = new URL(location, url).href;
    else greeting = await answer.text();
  }
  expect(url).toContain(`http://127.0.0.1:${port}/callback?`);
  expect(greeting).toContain(`Hello, ${customer.email}`);
});
