import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type Response,
  Router,
} from 'express';
import Handlebars from 'handlebars';
import { z } from 'zod';
import type { FunnelStep, FunnelVersion } from '../analytics/funnel.js';
import type { PrismaClient } from '../db/prisma.js';
import type { JourneyDefinition } from '../journey-kit/define-journey.js';
import type { JourneyRegistry } from '../journey-registry/registry.js';
import {
  type FunnelReport,
  funnelQuery,
  funnelReport,
  journeyVersions,
  parseFunnelQuery,
  sendFunnelCsv,
} from './funnel-report.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { requireOperatorKey } from './operator-key.js';
import type { FieldError } from './problem.js';
import { HttpProblem } from './problem.js';

const PAGES_DIR = fileURLToPath(new URL('./dashboard-pages/', import.meta.url));
const DAY_MS = 24 * 3_600_000;
/** Where app.ts mounts the dashboard: its pages link to each other and to its assets. */
export const DASHBOARD_PATH = '/dashboard';

/** A whole day, as a date input sends it (YYYY-MM-DD, UTC): `from` its start, `to` its end. */
const day = (end: boolean) =>
  z.iso
    .date({ error: 'A day, as YYYY-MM-DD' })
    .transform((value) => new Date(Date.parse(value) + (end ? DAY_MS : 0)));

const dashboardQuery = funnelQuery({ from: day(false), to: day(true) });

// Scripts, styles and the chart come from this server only; no inline script can run, no other
// site can frame the page or receive its form.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(_req: Request, res: Response, next: NextFunction) {
  res.set({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    // Funnel numbers are the business's own: no shared cache keeps them.
    'Cache-Control': 'no-store',
  });
  next();
}

/** The page's script, style and icon, and Chart.js's browser build, read once at start. */
function loadAssets() {
  const chartJsDir = dirname(createRequire(import.meta.url).resolve('chart.js'));
  const asset = (type: string, file: string) => ({ type, body: readFileSync(file) });
  return new Map([
    ['chart.umd.js', asset('text/javascript', join(chartJsDir, 'chart.umd.js'))],
    ['dashboard.js', asset('text/javascript', join(PAGES_DIR, 'dashboard.js'))],
    ['dashboard.css', asset('text/css', join(PAGES_DIR, 'dashboard.css'))],
    ['favicon.svg', asset('image/svg+xml', join(PAGES_DIR, 'favicon.svg'))],
  ]);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` as \u escapes, so no
 * value can close the element (`</script>`) or open a comment, and the JSON reads back the same.
 */
export const jsonInScript = (value: unknown) =>
  JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/**
 * The pages, compiled once (a syntax error fails at start), in strict mode: a missing value
 * throws rather than rendering a hole. Everything is HTML-escaped; the embedded JSON goes through
 * `jsonInScript`, the escaping its own context needs.
 */
function compilePages() {
  const handlebars = Handlebars.create();
  const read = (file: string) => readFileSync(join(PAGES_DIR, file), 'utf8');
  handlebars.registerPartial('layout', read('layout.hbs'));
  handlebars.registerHelper(
    'json',
    (value: unknown) => new handlebars.SafeString(jsonInScript(value)),
  );
  const compile = (name: string) =>
    handlebars.compile(handlebars.parse(read(`${name}.hbs`)), { strict: true });
  return { journeys: compile('journeys'), funnel: compile('funnel'), error: compile('error') };
}

const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)} %`);

function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A step's table columns: its metric (the cell's `data-metric`), heading and formatting. */
const METRICS: ReadonlyArray<{
  metric: string;
  heading: string;
  of: (step: FunnelStep) => number | null;
  text: (value: number | null) => string;
}> = [
  { metric: 'reached', heading: 'Reached', of: (s) => s.reached, text: String },
  { metric: 'inProgress', heading: 'In progress', of: (s) => s.inProgress, text: String },
  { metric: 'completed', heading: 'Went on', of: (s) => s.completed, text: String },
  {
    metric: 'dropOff',
    heading: 'Dropped off',
    of: (s) => s.reached - s.completed - s.inProgress,
    text: String,
  },
  { metric: 'conversion', heading: 'Conversion', of: (s) => s.conversion, text: percent },
  { metric: 'abandoned', heading: 'Abandoned', of: (s) => s.abandoned, text: String },
  { metric: 'expired', heading: 'Expired', of: (s) => s.expired, text: String },
  { metric: 'failed', heading: 'Failed', of: (s) => s.failed, text: String },
  { metric: 'medianMs', heading: 'Median time', of: (s) => s.timeInStepMs.median, text: duration },
  { metric: 'p90Ms', heading: 'p90 time', of: (s) => s.timeInStepMs.p90, text: duration },
];

const OUTCOMES = {
  completed: 'Completed',
  failed: 'Failed',
  abandoned: 'Abandoned',
  expired: 'Expired',
};

/** One version's numbers as the page shows them, each cell naming its version, step and metric. */
function versionView({ version, started, inProgress, outcomes, steps }: FunnelVersion) {
  return {
    version,
    outcomes: [
      { version, metric: 'started', label: 'Started', value: started },
      { version, metric: 'inProgress', label: 'In progress', value: inProgress },
      ...Object.entries(OUTCOMES).map(([metric, label]) => ({
        version,
        metric,
        label,
        value: outcomes[metric as keyof typeof OUTCOMES],
      })),
    ],
    steps: steps.map((step) => ({
      version,
      step: step.step,
      errors: step.errors,
      cells: METRICS.map(({ metric, of, text }) => {
        const value = of(step);
        return { version, step: step.step, metric, value: value ?? '', text: text(value) };
      }),
    })),
  };
}

/** What the chart draws: every version's steps (in order, first seen first) reached and left. */
function chartData(versions: readonly FunnelVersion[]) {
  const steps = [...new Set(versions.flatMap((version) => version.steps.map((s) => s.step)))];
  return {
    steps,
    versions: versions.map((version) => {
      const byName = new Map(version.steps.map((step) => [step.step, step]));
      return {
        version: version.version,
        reached: steps.map((name) => byName.get(name)?.reached ?? null),
        completed: steps.map((name) => byName.get(name)?.completed ?? null),
        inProgress: steps.map((name) => byName.get(name)?.inProgress ?? null),
      };
    }),
  };
}

const dayOf = (instant: Date) => instant.toISOString().slice(0, 10);
const journeyPath = (journey: string) =>
  `${DASHBOARD_PATH}/journeys/${encodeURIComponent(journey)}`;

/** The filter form, as the analyst filled it in (re-shown as is when it is refused). */
interface FormValues {
  from: string;
  to: string;
  version: string;
  channel: string;
}

function funnelPage(
  definitions: readonly JourneyDefinition[],
  form: FormValues,
  outcome: { report: FunnelReport } | { errors: FieldError[] },
) {
  const journey = definitions[0]?.id as string;
  const report = 'report' in outcome ? outcome.report : undefined;
  const csvQuery = new URLSearchParams({
    ...(form.from ? { from: form.from } : {}),
    ...(form.to ? { to: form.to } : {}),
    ...(form.version ? { version: form.version } : {}),
    ...(form.channel ? { channel: form.channel } : {}),
    format: 'csv',
  });
  return {
    title: journey,
    journey,
    formAction: journeyPath(journey),
    columns: METRICS.map(({ heading }) => heading),
    form: {
      ...form,
      versions: [
        { value: '', label: 'All versions', selected: !form.version },
        ...definitions.map(({ version }) => ({
          value: String(version),
          label: `Version ${version}`,
          selected: form.version === String(version),
        })),
      ],
    },
    errors: (('errors' in outcome && outcome.errors) || []).map((error) => ({
      param: error.path.slice(1) || 'query',
      message: error.message,
    })),
    report: report
      ? {
          from: report.from.toISOString(),
          to: report.to.toISOString(),
          fromDay: form.from,
          toDay: form.to,
          channel: report.channel ?? null,
          csvUrl: `${journeyPath(journey)}?${csvQuery}`,
          chart: chartData(report.versions),
          versions: report.versions.map(versionView),
          questions: report.questions?.map((row) => ({
            ...row,
            rate: row.asked ? `${Math.round(row.answer_rate * 100)} %` : '–',
          })),
        }
      : null,
  };
}

/** A query parameter as the form sent it: an untouched field sends '', which means "any". */
function filledIn(query: Request['query']): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query).flatMap(([name, value]) =>
      typeof value === 'string' && value !== '' ? [[name, value]] : [],
    ),
  );
}

/** Whether a browser asks (a page), rather than a client wanting problem+json. */
const wantsPage = (req: Request) =>
  req.accepts(['html', 'json', 'application/problem+json']) === 'html';

/**
 * Errors a person meets (no key, an unknown journey or route) as a page, when a browser asks;
 * problem+json for other clients, and every 5xx, go on to the one error handler.
 */
const errorPage =
  (render: ReturnType<typeof compilePages>['error']): ErrorRequestHandler =>
  (err, req, res, next) => {
    if (!(err instanceof HttpProblem) || !err.expose || !wantsPage(req)) return next(err);
    const view = { title: err.title, status: err.status, code: err.code };
    res.status(err.status).set(err.headers).type('html').send(render(view));
  };

/**
 * The analysts' dashboard, server-rendered: the journeys (`/`), and a journey's funnel over a
 * window (`/journeys/{journey}?from&to&version&channel`, days in UTC, the last 30 by default) as a
 * chart, versions side by side, and a table per version; `format=csv` downloads it. Behind the
 * operator's admin key (Bearer, or Basic with the key as password, so a browser prompts for it),
 * in embedded mode too (the generated operator key).
 */
export function createDashboard(deps: {
  prisma: PrismaClient;
  registry: JourneyRegistry;
  adminKey: string;
  now?: () => Date;
}): Router {
  const now = deps.now ?? (() => new Date());
  const pages = compilePages();
  const assets = loadAssets();
  const router = Router();
  router.use(securityHeaders);
  router.use(
    requireOperatorKey({ operatorKey: deps.adminKey, realm: 'parcours-dashboard', browser: true }),
  );
  router.get('/assets/:name', (req: Request, res: Response) => {
    const asset = assets.get(String(req.params.name));
    if (!asset) throw new HttpProblem('not_found', {}, { title: 'No such asset' });
    res.set('Cache-Control', 'private, max-age=3600').type(asset.type).send(asset.body);
  });
  router.get('/', (_req: Request, res: Response) => {
    const ids = [...new Set(deps.registry.list().map((definition) => definition.id))];
    const journeys = ids.map((id) => ({
      id,
      href: journeyPath(id),
      versions: journeyVersions(deps.registry, id)
        .map((definition) => definition.version)
        .join(', '),
    }));
    res.type('html').send(pages.journeys({ title: 'Journeys', journeys }));
  });
  router.get('/journeys/:journey', async (req: Request, res: Response) => {
    const definitions = journeyVersions(deps.registry, String(req.params.journey));
    const raw = filledIn(req.query);
    const { data: query, errors } = parseFunnelQuery(dashboardQuery, raw);
    if (!query) {
      if (!wantsPage(req))
        throw new HttpProblem('bad_request', { errors }, { title: 'The query is not valid' });
      const { from = '', to = '', version = '', channel = '' } = raw;
      const form = { from, to, version, channel };
      return res
        .status(400)
        .type('html')
        .send(pages.funnel(funnelPage(definitions, form, { errors })));
    }
    const endOfToday = new Date((Math.floor(now().getTime() / DAY_MS) + 1) * DAY_MS);
    const to = query.to ?? endOfToday;
    const from = query.from ?? new Date(to.getTime() - 30 * DAY_MS);
    const report = await funnelReport(deps.prisma, definitions, { ...query, from, to });
    if (query.format === 'csv') return sendFunnelCsv(res, report);
    if (query.format === 'json') return res.json(report);
    const form = {
      from: dayOf(from),
      to: dayOf(new Date(to.getTime() - DAY_MS)),
      version: query.version ? String(query.version) : '',
      channel: query.channel ?? '',
    };
    res.type('html').send(pages.funnel(funnelPage(definitions, form, { report })));
  });
  router.all(['/', '/assets/:name', '/journeys/:journey'], methodNotAllowed('GET'));
  router.use((req: Request, _res: Response, next: NextFunction) =>
    next(new HttpProblem('not_found', {}, { title: `No page at ${req.baseUrl}${req.path}` })),
  );
  router.use(errorPage(pages.error));
  return router;
}
