import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardCells, metricByStep, unescapeHtml } from '../support/dashboard-html.js';
import { HOSTILE_CODE, recordScriptedRegistrations } from '../support/journey-events.js';
import { type Stack, startStack } from '../support/stack.js';

const ADMIN_KEY = 'analysts-only-admin-key-0123456789abcdef';
const basic = (password: string) =>
  `Basic ${Buffer.from(`analyst:${password}`).toString('base64')}`;
const asAdmin = { authorization: basic(ADMIN_KEY) };
const page = '/dashboard/journeys/registration';
const nov30 = 'from=2026-11-30&to=2026-11-30';

describe('the analysts’ dashboard (real HTTP and Postgres)', () => {
  let stack: Stack;
  const get = (path: string, headers: Record<string, string> = asAdmin) =>
    fetch(`${stack.url}${path}`, { headers });

  beforeAll(async () => {
    stack = await startStack({ withoutWorker: true, env: { PARCOURS_ADMIN_KEY: ADMIN_KEY } });
    await recordScriptedRegistrations(stack.prisma);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('shows each version’s funnel with the exact numbers of its journey events', async () => {
    const answer = await get(`${page}?${nov30}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    const cells = dashboardCells(await answer.text());
    expect(metricByStep(cells, 2, 'reached')).toEqual({
      credentials: 4,
      'verify-email': 3,
      terms: 2,
    });
    expect(metricByStep(cells, 2, 'completed')).toEqual({
      credentials: 3,
      'verify-email': 2,
      terms: 2,
    });
    expect(metricByStep(cells, 2, 'dropOff')).toEqual({
      credentials: 1,
      'verify-email': 1,
      terms: 0,
    });
    expect(metricByStep(cells, 2, 'abandoned')).toEqual({
      credentials: 1,
      'verify-email': 1,
      terms: 0,
    });
    expect(metricByStep(cells, 2, 'conversion')).toEqual({
      credentials: 0.75,
      'verify-email': 2 / 3,
      terms: 1,
    });
    expect(metricByStep(cells, 2, 'medianMs')).toEqual({
      credentials: 5_500,
      'verify-email': 20_000,
      terms: 2_500,
    });
    expect(metricByStep(cells, 2, 'p90Ms')).toEqual({
      credentials: 1_262_500,
      'verify-email': 1_445_600,
      terms: 2_900,
    });
    expect(metricByStep(cells, 1, 'reached')).toEqual({
      credentials: 2,
      'verify-email': 1,
      terms: 1,
    });
    expect(metricByStep(cells, 1, 'expired')).toMatchObject({ terms: 1 });
    expect(
      cells.find(
        (cell) =>
          cell.version === 2 && cell.step === 'verify-email' && cell.metric === 'conversion',
      )?.text,
    ).toBe('66.7 %');
  });

  it('keeps to the window (whole UTC days), one version and one app when asked', async () => {
    const both = dashboardCells(await (await get(`${page}?from=2026-11-30&to=2026-12-01`)).text());
    expect(metricByStep(both, 2, 'reached')).toMatchObject({ credentials: 5 });
    const v2 = await (await get(`${page}?${nov30}&version=2`)).text();
    expect(new Set(dashboardCells(v2).map((cell) => cell.version))).toEqual(new Set([2]));
    expect(v2).toMatch(/<option value="2" selected>/);
    const ios = dashboardCells(
      await (await get(`${page}?from=2026-11-01&to=2026-12-31&channel=ios`)).text(),
    );
    expect(metricByStep(ios, 2, 'reached')).toEqual({
      credentials: 1,
      'verify-email': 0,
      terms: 0,
    });
  });

  it('lists the refusals at each step, and shows markup in the data as text, in the table and the chart’s JSON', async () => {
    const html = await (await get(`${page}?${nov30}`)).text();
    expect(html).toContain(
      '<li data-code="invalid_code" data-count="2"><code>invalid_code</code> × 2</li>',
    );
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    const json = html.match(/<script type="application\/json" id="funnel-data">([^<]*)<\/script>/);
    const chart = JSON.parse(json?.[1] ?? 'null');
    expect(chart).toEqual({
      steps: ['credentials', 'verify-email', 'terms'],
      versions: [
        { version: 1, reached: [2, 1, 1], completed: [1, 1, 0], inProgress: [0, 0, 0] },
        { version: 2, reached: [4, 3, 2], completed: [3, 2, 2], inProgress: [0, 0, 0] },
      ],
    });
    // The only scripts are files of this server's: no inline script for the CSP to allow.
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((match) => match[1]?.trim());
    expect(scripts).toEqual([
      'type="application/json" id="funnel-data"',
      'src="/dashboard/assets/chart.umd.js" defer',
      'src="/dashboard/assets/dashboard.js" defer',
    ]);
    expect(html).not.toContain(HOSTILE_CODE);
  });

  it('links a CSV download of the same window that takes the same credentials', async () => {
    const html = await (await get(`${page}?${nov30}&version=2`)).text();
    const href = unescapeHtml(
      html.match(/<a href="([^"]+)" id="csv-download" download>/)?.[1] ?? '',
    );
    expect(href).toBe(`${page}?from=2026-11-30&to=2026-11-30&version=2&format=csv`);
    const csv = await get(href);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toContain('registration-funnel.csv');
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines).toContain(
      'registration,2,verify-email,3,2,1,0,0,0.6667,20000,1445600,invalid_code:2 too_many_attempts:1,0',
    );
    expect(lines).toHaveLength(4);
  });

  it('refuses without the admin key: 401 asking a browser for it (Basic), to every page and asset', async () => {
    for (const path of ['/dashboard/', page, '/dashboard/assets/chart.umd.js']) {
      for (const headers of [{}, { authorization: basic('x'.repeat(40)) }] as Array<
        Record<string, string>
      >) {
        const refused = await get(path, headers);
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toBe(
          'Basic realm="parcours-dashboard", charset="UTF-8"',
        );
        expect(await refused.text()).not.toContain('data-metric');
      }
    }
    // A person's browser gets a page; an API client, the problem.
    const html = await get(page, { accept: 'text/html' });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toContain('This needs the operator key');
    const problem = await get(page, { accept: 'application/json' });
    expect(problem.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await problem.json()).toMatchObject({ status: 401, code: 'operator_key_required' });
  });

  it('takes the admin key as the password of Basic credentials, or as a bearer token', async () => {
    expect((await get('/dashboard/', asAdmin)).status).toBe(200);
    expect((await get('/dashboard/', { authorization: `Bearer ${ADMIN_KEY}` })).status).toBe(200);
    // The key itself, not its prefix: the password is all after the first colon.
    expect(
      (await get('/dashboard/', { authorization: basic(ADMIN_KEY.slice(0, -1)) })).status,
    ).toBe(401);
  });

  it('lists the journeys the engine runs, each linking to its funnel', async () => {
    const html = await (await get('/dashboard/')).text();
    expect(html).toContain(
      '<a href="/dashboard/journeys/registration" data-journey="registration">registration</a>',
    );
  });

  it('answers a bad window with 400 and the form again, naming the parameter', async () => {
    const answer = await get(`${page}?from=yesterday&to=2026-11-30&version=2`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await answer.text();
    expect(html).toContain('<h2>The query is not valid</h2>');
    expect(html).toMatch(/<li data-param="from"><code>from<\/code>: A day, as YYYY-MM-DD<\/li>/);
    // The form keeps what was typed, to correct it.
    expect(html).toContain('name="from" value="yesterday"');
    expect(html).toMatch(/<option value="2" selected>/);
    expect(dashboardCells(html)).toEqual([]);

    const reversed = await get(`${page}?from=2026-12-01&to=2026-11-30`);
    expect(reversed.status).toBe(400);
    expect(unescapeHtml(await reversed.text())).toContain('`from` must come before `to`');

    const problem = await get(`${page}?from=yesterday`, {
      ...asAdmin,
      accept: 'application/problem+json',
    });
    expect(problem.status).toBe(400);
    expect(await problem.json()).toMatchObject({
      code: 'bad_request',
      errors: [{ path: '/from', in: 'query' }],
    });
  });

  it('answers an unknown journey with 404', async () => {
    const answer = await get('/dashboard/journeys/nope');
    expect(answer.status).toBe(404);
    expect(await answer.text()).toContain('<code>unknown_journey</code>');
    const problem = await get('/dashboard/journeys/nope', {
      ...asAdmin,
      accept: 'application/json',
    });
    expect(problem.status).toBe(404);
    expect(await problem.json()).toMatchObject({ code: 'unknown_journey' });
  });

  it('sends a strict Content-Security-Policy, and keeps the numbers out of every cache', async () => {
    for (const path of [`${page}?${nov30}`, '/dashboard/journeys/nope', `${page}?from=x`]) {
      const answer = await get(path);
      const csp = answer.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('serves Chart.js and the page’s own script and style from this server', async () => {
    const chart = await get('/dashboard/assets/chart.umd.js');
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await chart.text()).toContain('Chart.js v4.6.1');
    expect((await get('/dashboard/assets/dashboard.js')).status).toBe(200);
    expect((await get('/dashboard/assets/dashboard.css')).headers.get('content-type')).toMatch(
      /^text\/css/,
    );
    expect((await get('/dashboard/assets/..%2F..%2Fpackage.json')).status).toBe(404);
    const post = await fetch(`${stack.url}/dashboard/`, { method: 'POST', headers: asAdmin });
    expect(post.status).toBe(405);
  });
});
