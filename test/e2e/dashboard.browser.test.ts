import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../src/cli/journeys/diagram-page.js';
import { createPrisma } from '../../src/db/prisma.js';
import { loadConfig } from '../../src/runtime/config.js';
import { createLogger } from '../../src/runtime/log.js';
import { type Running, startApiProcess } from '../../src/runtime/processes.js';
import {
  startTemporalDevServer,
  type TemporalDevServer,
} from '../../src/runtime/temporal-dev-server.js';
import { createKeyring, generateKeySpec } from '../../src/security/keyring.js';
import { journeySearchAttributeTypes } from '../../src/temporal/connection.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { recordScriptedRegistrations } from '../support/journey-events.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_KEY = 'analysts-only-admin-key-0123456789abcdef';
const SCREENSHOT = fileURLToPath(new URL('../../artifacts/dashboard.png', import.meta.url));

// Without the browser the file fails before any test is collected: it is never reported skipped.
if (!existsSync(CHROMIUM))
  throw new Error(
    `The dashboard's browser test needs Chromium at ${CHROMIUM} (Debian: apt-get install chromium).`,
  );

let temporal: TemporalDevServer;
let db: TestDatabase;
let api: Running & { url: string };
let userDataDir: string;
let browser: BrowserContext;
let page: Page;
/** What the page said on its console as an error, CSP violations included. */
const consoleErrors: string[] = [];

/** What the dashboard's page holds, as far as this test reads it (the test has no DOM types). */
interface PageGlobals {
  Chart?: {
    getChart(id: string):
      | {
          data: { labels: string[]; datasets: Array<{ label: string; data: number[] }> };
          ctx: {
            getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
          };
          width: number;
          height: number;
        }
      | undefined;
  };
  document: {
    addEventListener(
      type: 'securitypolicyviolation',
      listener: (event: { violatedDirective: string; blockedURI: string }) => void,
    ): void;
  };
}

/** The chart as Chart.js holds it, read in the page, once drawn: its data and painted pixels. */
async function chartOf(target: Page) {
  await target.waitForFunction(() =>
    (globalThis as unknown as PageGlobals).Chart?.getChart('funnel-chart'),
  );
  return target.evaluate(() => {
    const chart = (globalThis as unknown as PageGlobals).Chart?.getChart('funnel-chart');
    if (!chart) return undefined;
    const { data } = chart.ctx.getImageData(0, 0, chart.width, chart.height);
    let painted = 0;
    for (let alpha = 3; alpha < data.length; alpha += 4) if (data[alpha] !== 0) painted += 1;
    return {
      labels: chart.data.labels,
      datasets: chart.data.datasets.map(({ label, data }) => ({ label, data })),
      painted,
    };
  });
}

const cell = (version: number, step: string, metric: string) =>
  page
    .locator(`td[data-version="${version}"][data-step="${step}"][data-metric="${metric}"]`)
    .textContent();

/**
 * The API as `npm run api` serves it, with an admin key, over a fresh Postgres database holding
 * scripted journey events (the numbers are known in advance); no worker is needed to read them.
 */
beforeAll(async () => {
  temporal = await startTemporalDevServer({
    port: 0,
    uiPort: false,
    searchAttributes: journeySearchAttributeTypes,
  });
  db = await createTestDatabase();
  const keySpec = generateKeySpec('test');
  const config = loadConfig({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: 'dashboard-browser-test',
    PARCOURS_KEYS: keySpec,
    PARCOURS_ADMIN_KEY: ADMIN_KEY,
    LOG_LEVEL: 'silent',
    BREACHED_PASSWORDS_URL: 'off',
  });
  api = await startApiProcess(
    {
      config,
      keyring: createKeyring(keySpec),
      log: createLogger('silent'),
      databaseUrl: db.url,
      temporalAddress: temporal.address,
    },
    { port: 0 },
  );
  const prisma = createPrisma(db.url, { max: 1 });
  await recordScriptedRegistrations(prisma);
  await prisma.$disconnect();

  userDataDir = await mkdtemp(join(tmpdir(), 'parcours-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      // A DNS-rebinding attacker's name, made to resolve to this machine as its DNS would.
      '--host-resolver-rules=MAP rebound.example 127.0.0.1',
    ],
    // Answered when the dashboard challenges (401, Basic), as an analyst types the key in.
    httpCredentials: { username: 'analyst', password: ADMIN_KEY },
    viewport: { width: 1280, height: 1000 },
    acceptDownloads: true,
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error')
      consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  await page.addInitScript(() =>
    (globalThis as unknown as PageGlobals).document.addEventListener(
      'securitypolicyviolation',
      (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`),
    ),
  );
});

afterAll(async () => {
  await browser?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  await api?.stop();
  await db?.drop();
  await temporal?.stop();
});

it('draws each version’s funnel with Chart.js, filters by version and downloads the CSV, in Chromium', async () => {
  const answer = await page.goto(
    `${api.url}/dashboard/journeys/registration?from=2026-11-30&to=2026-11-30`,
  );
  expect(answer?.status()).toBe(200);

  // The chart: per version, a bar per step, split into runs that went on, those still at it and those that dropped off.
  const chart = await chartOf(page);
  expect(chart?.labels).toEqual(['credentials', 'verify-email', 'terms']);
  expect(chart?.datasets).toEqual([
    { label: 'v1 went on', data: [1, 1, 0] },
    { label: 'v1 in progress', data: [0, 0, 0] },
    { label: 'v1 dropped off', data: [1, 0, 1] },
    { label: 'v2 went on', data: [3, 2, 2] },
    { label: 'v2 in progress', data: [0, 0, 0] },
    { label: 'v2 dropped off', data: [1, 1, 0] },
  ]);
  expect(chart?.painted).toBeGreaterThan(1_000);

  // The tables, read as a person sees them.
  expect(await cell(2, 'credentials', 'reached')).toBe('4');
  expect(await cell(2, 'verify-email', 'conversion')).toBe('66.7 %');
  expect(await cell(2, 'credentials', 'medianMs')).toBe('5.5 s');
  expect(await cell(1, 'terms', 'expired')).toBe('1');
  await expect
    .poll(() => page.locator('[data-version="1"] [data-metric="errors"] li').allTextContents())
    .toContain('</script><script>alert(1)</script> × 1');

  await mkdir(join(SCREENSHOT, '..'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`dashboard screenshot: ${SCREENSHOT}`);

  // The version filter applies as soon as it changes.
  await Promise.all([
    page.waitForURL(/[?&]version=2(&|$)/),
    page.locator('select[name="version"]').selectOption('2'),
  ]);
  expect((await chartOf(page))?.datasets.map((dataset) => dataset.label)).toEqual([
    'v2 went on',
    'v2 in progress',
    'v2 dropped off',
  ]);
  expect(await page.locator('section.version').count()).toBe(1);
  expect(await cell(2, 'terms', 'completed')).toBe('2');

  // The CSV: the same window and version, with the credentials the page was opened with.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#csv-download').click(),
  ]);
  expect(download.suggestedFilename()).toBe('registration-funnel.csv');
  const csv = (await readFile(await download.path(), 'utf8')).trimEnd().split('\r\n');
  expect(csv).toEqual([
    'journey,version,step,reached,completed,abandoned,expired,failed,conversion,median_ms,p90_ms,top_errors,in_progress',
    'registration,2,credentials,4,3,1,0,0,0.7500,5500,1262500,password_weak:1,0',
    'registration,2,verify-email,3,2,1,0,0,0.6667,20000,1445600,invalid_code:2 too_many_attempts:1,0',
    'registration,2,terms,2,2,0,0,0,1.0000,2500,2900,,0',
  ]);

  expect(consoleErrors).toEqual([]);
});

it('shows nothing to a page on a rebound DNS name, though it reaches this server with the analyst’s credentials at hand (ASVS 5.0 V3.5)', async () => {
  const rebound = await browser.newPage();
  try {
    const { port } = new URL(api.url);
    const answer = await rebound.goto(
      `http://rebound.example:${port}/dashboard/journeys/registration`,
    );
    expect(answer?.status()).toBe(421);
    expect(answer?.headers()['content-type']).toMatch(/^application\/problem\+json/);
    expect(await rebound.locator('[data-metric]').count()).toBe(0);
    // The same server, by the name it is published under, serves the analyst.
    expect((await rebound.goto(`${api.url}/dashboard/`))?.status()).toBe(200);
  } finally {
    await rebound.close();
  }
});
