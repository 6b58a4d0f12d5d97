import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../src/cli/journeys/diagram-page.js';
import { createPrisma } from '../../src/db/prisma.js';
import { loadConfig } from '../../src/runtime/config.js';
import { createLogger } from '../../src/runtime/log.js';
import {
  type ProcessContext,
  startApiProcess,
  startWorkerProcess,
} from '../../src/runtime/processes.js';
import { startTemporalDevServer } from '../../src/runtime/temporal-dev-server.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { journeySearchAttributeTypes } from '../../src/temporal/connection.js';
import { createTestDatabase } from './database.js';

export const CHROMIUM = '/usr/bin/chromium';
const OATHTOOL = '/usr/bin/oathtool';

// Without the browser or oathtool the file fails before any test is collected: never skipped.
for (const [tool, hint] of [
  [CHROMIUM, 'apt-get install chromium'],
  [OATHTOOL, 'apt-get install oathtool'],
])
  if (!existsSync(tool as string))
    throw new Error(`The hosted pages' browser test needs ${tool} (Debian: ${hint}).`);

import { freePort } from './page-forms.js';

export { freePort };

const LOG_LEVEL = (process.env.PARCOURS_TEST_LOG ?? 'silent') as 'silent';

/**
 * The engine as `npm start` runs it (API and worker, a Temporal dev server of its own, a fresh
 * Postgres database), published at `http://localhost:{port}`: the name the browser uses, so
 * WebAuthn has a secure context and the issuer is the URL the browser is sent to.
 */
export async function startHostedStack(options: { smtpUrl: string; env?: Record<string, string> }) {
  const temporal = await startTemporalDevServer({
    port: 0,
    uiPort: false,
    searchAttributes: journeySearchAttributeTypes,
  });
  const db = await createTestDatabase();
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const keySpec = generateKeySpec('test');
  const config = loadConfig({
    PORT: String(port),
    PARCOURS_PUBLIC_URL: url,
    WEBAUTHN_ORIGINS: url,
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: 'hosted-pages-browser-test',
    PARCOURS_KEYS: keySpec,
    LOG_LEVEL,
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_READS_PER_MINUTE: '1000000',
    // Every customer of this file signs up from the same loopback address.
    CODES_PER_REQUESTER_PER_HOUR: '100',
    BREACHED_PASSWORDS_URL: 'off',
    SMTP_URL: options.smtpUrl,
    ...options.env,
  });
  const ctx: ProcessContext = {
    config,
    keyring: createKeyring(keySpec),
    log: createLogger(LOG_LEVEL),
    databaseUrl: db.url,
    temporalAddress: temporal.address,
  };
  const worker = await startWorkerProcess(ctx);
  const api = await startApiProcess(ctx, { port });
  const prisma = createPrisma(db.url, { max: 1 });
  return {
    url,
    /** Where the API listens (127.0.0.1): for server-side calls. */
    apiUrl: api.url,
    prisma,
    async stop() {
      await api.stop();
      await worker.stop();
      await prisma.$disconnect();
      await db.drop();
      await temporal.stop();
    },
  };
}

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });

/** An HTML page of the server as the browser received it: its address, CSP and markup. */
export interface ServedPage {
  url: string;
  status: number;
  csp: string | undefined;
  html: string;
}

/** What the page globals hold, as far as the tests read them (the tests have no DOM types). */
interface PageGlobals {
  document: {
    addEventListener(
      type: 'securitypolicyviolation',
      listener: (event: { violatedDirective: string; blockedURI: string }) => void,
    ): void;
  };
}

/**
 * A fresh browser profile (its own cookies) with one page: console errors, page errors and CSP
 * violations are collected in `errors`, and every HTML page the server sent in `served`.
 */
export async function openBrowserPage(browser: Browser, origin: string, locale = 'en-GB') {
  const context: BrowserContext = await browser.newContext({
    locale,
    viewport: { width: 900, height: 900 },
  });
  const page: Page = await context.newPage();
  const errors: string[] = [];
  const served: ServedPage[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const { url } = message.location();
    // The browser's own look for an icon, and a page answered with its status (a refused form's
    // 422, an unknown journey's 404): the page's own, not a resource that failed to load.
    const pageStatus =
      /^Failed to load resource: the server responded with a status of 4\d\d\b/.test(
        message.text(),
      ) && /\/pages\/(?!assets\/)/.test(url);
    if (url.endsWith('/favicon.ico') || pageStatus) return;
    errors.push(`${message.text()} (${url})`);
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('response', async (response) => {
    const type = response.headers()['content-type'] ?? '';
    if (!response.url().startsWith(origin) || !type.startsWith('text/html')) return;
    if (response.status() >= 300 && response.status() < 400) return;
    const html = await response.text().catch(() => '');
    served.push({
      url: response.url(),
      status: response.status(),
      csp: response.headers()['content-security-policy'],
      html,
    });
  });
  await page.addInitScript(() =>
    (globalThis as unknown as PageGlobals).document.addEventListener(
      'securitypolicyviolation',
      (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`),
    ),
  );
  return { context, page, errors, served };
}

export type BrowserPage = Awaited<ReturnType<typeof openBrowserPage>>;

/**
 * The code an authenticator app shows for `secret` (base32) at `offsetSeconds` from now, as
 * oathtool computes it (RFC 6238, an implementation of its own); the key goes by stdin.
 */
export const totpCode = (secret: string, offsetSeconds = 0): string =>
  execFileSync(
    OATHTOOL,
    ['--totp', '--base32', `--now=@${Math.floor(Date.now() / 1000) + offsetSeconds}`, '-'],
    { input: secret, encoding: 'utf8' },
  ).trim();

/** A full-page screenshot into artifacts/hosted-pages/{name}.png. */
export async function screenshot(page: Page, name: string) {
  const path = new URL(`../../artifacts/hosted-pages/${name}.png`, import.meta.url).pathname;
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
}

/** The client's redirect target: a server of this test, which records what it was sent. */
export async function callbackServer() {
  const received: string[] = [];
  const server = createHttpServer((req, res) => {
    if (req.url?.startsWith('/callback')) received.push(req.url);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><h1>The shop</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    redirect: `http://localhost:${port}/callback`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Every `<script>` tag loads a file or holds JSON; no handler or style is written inline. */
export function inlineCode(html: string): string[] {
  const found: string[] = [];
  for (const [tag, attributes = ''] of html.matchAll(/<script\b([^>]*)>/gi))
    if (
      !/\ssrc="\/pages\/assets\/[a-z.]+"/.test(attributes) &&
      !/type="application\/json"/.test(attributes)
    )
      found.push(tag);
  for (const [attribute] of html.matchAll(/\s(on[a-z]+|style)\s*=/gi)) found.push(attribute);
  for (const [tag] of html.matchAll(/<style\b|javascript:/gi)) found.push(tag);
  return found;
}
