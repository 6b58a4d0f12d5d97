import type { Client } from '@temporalio/client';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { createAppRegistry, MAX_APP_DATA_BYTES } from '../apps/app-registry.js';
import type { PrismaClient } from '../db/prisma.js';
import type { Keyring } from '../security/keyring.js';
import type { RunKeys } from '../security/run-keys.js';
import type { SessionStore } from '../sessions/session-store.js';
import { createAdminApi } from './admin-api.js';
import { createAnalyticsApi } from './analytics-api.js';
import { createAppApi } from './app-api.js';
import { type CodecServerOptions, createCodecServer } from './codec-server.js';
import { createPolicyPages } from './consent-api.js';
import { createDashboard, DASHBOARD_PATH } from './dashboard.js';
import { createDevOutbox } from './dev-outbox.js';
import { createExportsApi } from './exports-api.js';
import { type HostAllowList, hostAllowList } from './host-allow-list.js';
import { createHostedPages, type HostedPages, PAGES_PATH } from './hosted-pages/hosted-pages.js';
import type { Brand } from './hosted-pages/page-views.js';
import { createContinuePage, createJourneyLinks } from './journey-links.js';
import { createMeApi } from './me-api.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { OIDC_PATH } from './oidc-api.js';
import { buildOpenApi } from './openapi.js';
import { HttpProblem, problemHandler, sendProblem } from './problem.js';
import { createProblemPages } from './problem-pages.js';
import { stepApiRateLimit } from './rate-limit.js';
import { createSessionsApi } from './sessions-api.js';
import { createStepApi, type StepApiDeps } from './step-api.js';
import { createStepService } from './step-service.js';
import { refuseUnstorableText } from './storable-text.js';
import { createTwilioCallbacks, type TwilioCallbackOptions } from './twilio-callbacks.js';

export interface AppDeps extends StepApiDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  log: Logger;
  /** Mounts GET /dev/outbox: embedded and dev mode only. */
  devOutbox: boolean;
  /** Step API writes, and reads, one client IP may make in a minute. */
  rateLimitPerMinute: number;
  rateLimitReadsPerMinute: number;
  /** Express `trust proxy`: false, how many proxy hops to trust, or which proxies. */
  trustProxy: false | number | string[];
  temporal: StepApiDeps['temporal'] & { client: Client };
  sessions: SessionStore;
  /** The names requests may address the API by (`Host`); others are refused before any route. */
  allowedHosts: HostAllowList;
  /** Funnel analytics for analysts, as an API and a dashboard; absent, they are not served. */
  analytics?: { adminKey: string };
  /** Twilio's delivery reports, verified by signature; absent, not served. */
  twilioCallbacks?: TwilioCallbackOptions;
  /** Temporal's remote codec for operators; absent, it is not served. */
  codec?: Omit<CodecServerOptions, 'keyring'>;
  /** Runs' own payload keys (the codec's): an erasure the admin API completes forgets them. */
  runKeys?: RunKeys;
  /**
   * The OpenID Connect provider's routes (oidc-api.ts), once built: its issuer names the port the
   * API listens on, known only after it listens. Until then `/oidc` answers 503.
   */
  oidc?: (pages: HostedPages) => Router | undefined;
  /** The hosted pages' look, and whether they are served over https (`__Host-` cookies). */
  pages: {
    brand: Brand;
    secure: boolean;
    socialProviders?: ReadonlyArray<{ id: string; name: string }>;
  };
}

/** Step bodies are small; a larger one is refused before parsing (413). */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** Bodies are JSON; a profile patch may say so as RFC 7396 does (`application/merge-patch+json`). */
const JSON_TYPES = ['application/json', 'application/merge-patch+json'];

function requireJson(req: Request, _res: Response, next: NextFunction) {
  const hasBody =
    Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(JSON_TYPES)) throw new HttpProblem('unsupported_media_type');
  next();
}

/** A JSON body, parsed and refused if it holds text the database could not keep as sent. */
const jsonBody = (limit: number) => [
  express.json({ limit, strict: true, type: JSON_TYPES }),
  refuseUnstorableText,
];

export function createApp(deps: AppDeps) {
  const app = express();
  app.disable('x-powered-by');
  // Views change with every step and are not cached (no-store): a hash of each body buys nothing.
  app.set('etag', false);
  // Behind a proxy, its X-Forwarded-For names the client the rate limit counts; only as many hops
  // as TRUST_PROXY says are believed, so a client cannot name itself.
  app.set('trust proxy', deps.trustProxy);
  // First, for every route: a DNS-rebinding page reaches this socket but names its own host.
  app.use(hostAllowList(deps.allowedHosts));
  const apps = createAppRegistry(deps.prisma);
  const openapi = buildOpenApi(deps.registry, {
    returnToAllowed: deps.returnToAllowed,
    analytics: deps.analytics !== undefined,
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.allSettled([
      deps.prisma.$queryRaw`SELECT 1`,
      deps.temporal.client.workflowService.getSystemInfo({}),
    ]);
    const [database, temporal] = checks.map((check) =>
      check.status === 'fulfilled' ? 'ok' : 'unreachable',
    );
    const ready = database === 'ok' && temporal === 'ok';
    if (!ready) {
      deps.log.warn({ database, temporal }, 'not ready');
      return sendProblem(res, new HttpProblem('not_ready', { database, temporal }));
    }
    res.json({ status: 'ready', database, temporal });
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use('/problems', createProblemPages());
  app.all(['/healthz', '/readyz', '/openapi.json'], methodNotAllowed('GET'));
  // Views carry tokens (the journey token, a session token once) and personal data: no cache may
  // keep any answer of the API, errors included (ASVS 8.2.1, RFC 9111 §5.2.2.5).
  app.use('/v1', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  const limits = stepApiRateLimit({
    writesPerMinute: deps.rateLimitPerMinute,
    readsPerMinute: deps.rateLimitReadsPerMinute,
  });
  const stepDeps = {
    ...deps,
    onCountFailed: (error: unknown) =>
      deps.log.warn({ err: error }, 'a refused submission went uncounted'),
    onRecordFailed: (error: unknown) =>
      deps.log.warn({ err: error }, "a step's journey events wait for the run's next activity"),
  };
  // One service for the API and the pages: one memory of the steps each run last showed.
  const steps = createStepService(stepDeps);
  const journeys = createStepApi(stepDeps, steps);
  const pages = createHostedPages({
    service: steps,
    keyring: deps.keyring,
    sessions: deps.sessions,
    prisma: deps.prisma,
    requesterOf: deps.requesterOf,
    returnToAllowed: deps.returnToAllowed,
    ...deps.pages,
  });
  app.use('/v1/journeys', ...limits, requireJson, jsonBody(BODY_LIMIT_BYTES), journeys);
  app.use(
    '/v1/me',
    ...limits,
    requireJson,
    jsonBody(BODY_LIMIT_BYTES),
    createMeApi({
      prisma: deps.prisma,
      store: deps.sessions,
      bearerSession: deps.bearerSession,
      journeys,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  );
  app.use(
    '/v1/apps/me',
    ...limits,
    requireJson,
    // An app's namespace may be given up to MAX_APP_DATA_BYTES; its own limit is checked after.
    jsonBody(2 * MAX_APP_DATA_BYTES),
    createAppApi({ prisma: deps.prisma, apps }),
  );
  if (deps.analytics)
    app.use(
      '/v1/admin',
      ...limits,
      requireJson,
      jsonBody(BODY_LIMIT_BYTES),
      createAdminApi({
        prisma: deps.prisma,
        apps,
        operatorKey: deps.analytics.adminKey,
        keyring: deps.keyring,
        ...(deps.runKeys ? { runKeys: deps.runKeys } : {}),
      }),
    );
  app.use(
    '/v1/links',
    ...limits,
    requireJson,
    jsonBody(BODY_LIMIT_BYTES),
    createJourneyLinks({
      ...deps,
      onRecordFailed: (error) =>
        deps.log.warn({ err: error }, "a step's journey events wait for the run's next activity"),
    }),
  );
  app.use('/v1/policies', ...limits, createPolicyPages({ prisma: deps.prisma }));
  app.use(
    '/v1/exports',
    ...limits,
    createExportsApi({ prisma: deps.prisma, store: deps.sessions }),
  );
  app.use('/continue', createContinuePage());
  // Forms post as browsers send them; each is checked against its step's schema as the API's are.
  app.use(
    PAGES_PATH,
    ...limits,
    express.urlencoded({ extended: false, limit: BODY_LIMIT_BYTES }),
    refuseUnstorableText,
    pages.router,
  );
  // The provider parses its own bodies (form posts, as OAuth sends them): no JSON parser first.
  if (deps.oidc) {
    const oidc = deps.oidc;
    app.use(OIDC_PATH, ...limits, (req, res, next) => {
      const router = oidc(pages);
      if (!router) throw new HttpProblem('not_ready');
      router(req, res, next);
    });
  }
  if (deps.twilioCallbacks)
    app.use(
      '/v1/providers/twilio',
      ...limits,
      // Twilio posts its form encoded, as `application/x-www-form-urlencoded`.
      express.urlencoded({ extended: false, limit: BODY_LIMIT_BYTES }),
      createTwilioCallbacks({ ...deps.twilioCallbacks, prisma: deps.prisma }),
    );
  app.use(
    '/v1/sessions',
    ...limits,
    createSessionsApi({ store: deps.sessions, bearerSession: deps.bearerSession }),
  );
  if (deps.analytics)
    app.use(
      '/v1/analytics',
      ...limits,
      createAnalyticsApi({
        prisma: deps.prisma,
        registry: deps.registry,
        adminKey: deps.analytics.adminKey,
      }),
    );
  if (deps.analytics)
    app.use(
      DASHBOARD_PATH,
      ...limits,
      createDashboard({
        prisma: deps.prisma,
        registry: deps.registry,
        adminKey: deps.analytics.adminKey,
      }),
    );
  if (deps.devOutbox) app.use('/dev/outbox', createDevOutbox(deps));
  if (deps.codec) app.use('/codec', createCodecServer({ ...deps.codec, keyring: deps.keyring }));
  app.use((req, _res, next) =>
    next(new HttpProblem('not_found', {}, { title: `No route for ${req.method} ${req.path}` })),
  );
  app.use(problemHandler(deps.log));
  return app;
}
