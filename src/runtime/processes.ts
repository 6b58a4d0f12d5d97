import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Router } from 'express';
import { journeyDefinitions } from '../../journeys/index.js';
import { createJourneyWorker } from '../../workers/worker.js';
import { recordJourneyEvents } from '../activities/analytics/analytics.js';
import { activityNames } from '../activities/catalog.js';
import { createActivities } from '../activities/index.js';
import { messageDelivery } from '../activities/outbox/delivery.js';
import { startOutboxRelay } from '../activities/outbox/outbox-relay.js';
import { createAppRegistry } from '../apps/app-registry.js';
import { purgeEarlyReports } from '../channels/provider-status.js';
import { createMessageRenderer } from '../channels/render.js';
import { createTwilioSender, twilioStatusUrl } from '../channels/sms-transport.js';
import { createSmtpSender } from '../channels/smtp-transport.js';
import { startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { applyMigrations } from '../db/migrate.js';
import { createPrisma } from '../db/prisma.js';
import { createApp } from '../http/app.js';
import { createBearerSessions } from '../http/bearer-session.js';
import { SESSION_COOKIE } from '../http/hosted-pages/hosted-pages.js';
import { pageCookies } from '../http/hosted-pages/page-security.js';
import { createJourneyTokens } from '../http/journey-token.js';
import { createOidcApi, OIDC_PATH } from '../http/oidc-api.js';
import { createPendingRuns, startPendingRunSweep } from '../http/pending-runs.js';
import { createPublicViews } from '../http/public-view.js';
import { createRequesterIds } from '../http/requester.js';
import { createStepInputSealer } from '../http/seal-step-input.js';
import type { JourneyDefinition } from '../journey-kit/define-journey.js';
import { createRegistry } from '../journey-registry/registry.js';
import { purgeExpiredModels } from '../oidc/adapter.js';
import { createOidcProvider } from '../oidc/provider.js';
import { loadSigningKeys } from '../oidc/signing-keys.js';
import { createBreachedPasswordCheck } from '../security/breached-passwords.js';
import { createKeyring, type Keyring, loadOrCreateKeySpec } from '../security/keyring.js';
import { createPasswordPolicyPool } from '../security/password-policy-pool.js';
import { createRunKeys } from '../security/run-keys.js';
import { createVault } from '../security/vault.js';
import { createSessionGrants } from '../sessions/session-grant.js';
import { createSessionStore } from '../sessions/session-store.js';
import {
  connectTemporalClient,
  ensureSearchAttributes,
  journeyDataConverter,
  journeySearchAttributeTypes,
} from '../temporal/connection.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { operatorSurfaces } from './operator-keys.js';
import { startTemporalDevServer } from './temporal-dev-server.js';

export interface ProcessContext {
  config: Config;
  keyring: Keyring;
  databaseUrl: string;
  temporalAddress: string;
  log: Logger;
}

export interface Running {
  stop(): Promise<void>;
}

/** Keys from PARCOURS_KEYS; in embedded mode generated once and kept in the data folder. */
export async function loadKeyring(config: Config): Promise<Keyring> {
  if (config.PARCOURS_KEYS) return createKeyring(config.PARCOURS_KEYS);
  if (!config.embeddedDatabase) {
    throw new Error(
      'PARCOURS_KEYS is required with DATABASE_URL (generate one: npm run keys:generate)',
    );
  }
  return createKeyring(await loadOrCreateKeySpec(config.dataDir), `${config.dataDir}/keys`);
}

/**
 * The embedded defaults: a Temporal dev server (SQLite in the data folder) and an embedded
 * Postgres (PGlite), each only where the environment names no real one. Migrations are applied.
 */
export async function startInfrastructure(config: Config, log: Logger) {
  const stops: Array<() => Promise<void>> = [];
  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUi: string | undefined;
  if (!temporalAddress) {
    const server = await startTemporalDevServer({
      dbFile: join(config.dataDir, 'temporal.sqlite'),
      port: config.TEMPORAL_DEV_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      // The embedded UI shows payloads decoded, through the API's codec endpoint.
      ...(config.codec ? { uiCodecEndpoint: `http://${config.HOST}:${config.PORT}/codec` } : {}),
      namespace: config.TEMPORAL_NAMESPACE,
      searchAttributes: journeySearchAttributeTypes,
    });
    temporalAddress = server.address;
    temporalUi = server.uiUrl;
    stops.push(server.stop);
  }
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const postgres = await startEmbeddedPostgres({ dataDir: join(config.dataDir, 'pgdata') });
    databaseUrl = postgres.url;
    stops.push(postgres.stop);
  }
  const applied = await applyMigrations(databaseUrl);
  if (applied.length) log.info({ applied }, 'migrations applied');
  return {
    temporalAddress,
    temporalUi,
    databaseUrl,
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

export interface WorkerOverrides {
  workflowBundle?: { code: string };
  smtpUrl?: string;
  stickyQueueScheduleToStartTimeout?: string;
}

/**
 * How often the outbox relay looks for messages: a recovery code waits at most this long to leave,
 * and its sending lands at no fixed time after the answer that queued it.
 */
const OUTBOX_RELAY_INTERVAL_MS = 1_000;

/** The worker process: runs journeys (workflow + activities) until stopped. */
export async function startWorkerProcess(
  ctx: ProcessContext,
  overrides: WorkerOverrides = {},
): Promise<Running & { done: Promise<void> }> {
  const { config, keyring } = ctx;
  // The sandbox checks journeys per run; a broken one should stop the worker before it polls.
  createRegistry(journeyDefinitions, activityNames);
  const prisma = createPrisma(ctx.databaseUrl, { max: 5 });
  const vault = createVault(prisma, keyring);
  // One set of run keys for the codec and the activities: an erasure forgets its keys here at once.
  const runKeys = createRunKeys(prisma, keyring);
  const smtpUrl = overrides.smtpUrl ?? config.SMTP_URL;
  const sender = smtpUrl ? createSmtpSender(smtpUrl, config.MAIL_FROM) : undefined;
  if (!sender && !config.embeddedDatabase) {
    ctx.log.warn('SMTP_URL is not set: mail is kept in the outbox table and never sent');
  }
  // Twilio reports delivery to the public base URL only: without one, no callbacks are asked for.
  const sms = config.twilio
    ? createTwilioSender({
        ...config.twilio,
        ...(config.PARCOURS_PUBLIC_URL
          ? { statusCallback: twilioStatusUrl(config.PARCOURS_PUBLIC_URL) }
          : {}),
      })
    : undefined;
  if (!sms && !config.embeddedDatabase) {
    ctx.log.warn(
      'TWILIO_ACCOUNT_SID is not set: text messages are kept in the outbox and never sent',
    );
  }
  const renderer = createMessageRenderer();
  const activityDeps = {
    prisma,
    keyring,
    vault,
    runKeys,
    renderMessage: renderer.render,
    ...(sender ? { sendEmail: sender.send } : {}),
    ...(sms ? { sendSms: sms.send, findSms: sms.find } : {}),
    productName: config.PARCOURS_PRODUCT_NAME,
    ...(config.PARCOURS_PUBLIC_URL ? { publicUrl: config.PARCOURS_PUBLIC_URL } : {}),
    sessionTtlMs: config.sessionTtlMs,
    sessionIdleMs: config.sessionIdleMs,
    codesPerRecipientPerHour: config.CODES_PER_RECIPIENT_PER_HOUR,
    codesPerRequesterPerHour: config.CODES_PER_REQUESTER_PER_HOUR,
    smsLimits: {
      countries: config.SMS_COUNTRIES,
      perNumberPerHour: config.SMS_PER_NUMBER_PER_HOUR,
      perPrefixPerHour: config.SMS_PER_PREFIX_PER_HOUR,
      perCountryPerHour: config.SMS_PER_COUNTRY_PER_HOUR,
      perRequesterPerHour: config.SMS_PER_REQUESTER_PER_HOUR,
      dailyBudget: config.SMS_DAILY_BUDGET,
    },
    signInFailuresPerRequesterPerHour: config.SIGN_IN_FAILURES_PER_REQUESTER_PER_HOUR,
    webauthn: config.webauthn,
    socialProviders: config.socialProviders,
    socialFetchPrivate: config.SOCIAL_FETCH_PRIVATE_ADDRESSES === 'true',
    now: () => new Date(),
  };
  const activities = createActivities(activityDeps);
  const { worker, connection } = await createJourneyWorker({
    address: ctx.temporalAddress,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities,
    dataConverter: journeyDataConverter(keyring, runKeys),
    debug: config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace',
    stackTraces: config.WORKFLOW_STACK_TRACES === 'on',
    cachedRuns: config.WORKER_CACHED_RUNS,
    ...(overrides.workflowBundle ? { workflowBundle: overrides.workflowBundle } : {}),
    ...(overrides.stickyQueueScheduleToStartTimeout
      ? { stickyQueueScheduleToStartTimeout: overrides.stickyQueueScheduleToStartTimeout }
      : {}),
  });
  // Security notices raised where no run delivers them (a lock, a suspended passkey), and codes
  // only an account gets (recovery), sent apart from the answer that queued them.
  const { deliver } = messageDelivery(activityDeps);
  const relay = startOutboxRelay({
    prisma,
    deliver: ({ messageId }) => deliver(messageId, { by: 'relay' }),
    intervalMs: OUTBOX_RELAY_INTERVAL_MS,
    onError: (err, messageId) => ctx.log.warn({ err, messageId }, 'outbox relay: not delivered'),
  });
  // Expired vault entries (codes never checked, tokens never shown) and provider reports no
  // message claimed are removed on a timer.
  const purge = setInterval(() => {
    void vault.purgeExpired().catch((err) => ctx.log.warn({ err }, 'vault purge failed'));
    void purgeEarlyReports(prisma, new Date()).catch((err) =>
      ctx.log.warn({ err }, 'early provider reports purge failed'),
    );
  }, 60_000);
  purge.unref();
  const done = worker.run().finally(async () => {
    clearInterval(purge);
    await relay.stop();
    sender?.close();
    await connection.close();
    await prisma.$disconnect();
  });
  return {
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

export interface ApiOverrides {
  /**
   * The journeys this API starts (default: every one in journeys/modules.ts). A release rolls out
   * worker first, then API by API: an API not yet updated keeps starting the versions it knows.
   */
  journeys?: JourneyDefinition[];
  journeySettings?: Record<string, Record<string, unknown>>;
  stepTimeoutMs?: number;
  journeyLifetimeMs?: number;
  devOutbox?: boolean;
  port?: number;
  pendingRunSweepMs?: number;
}

/** How often an API process looks for a change of the OpenID Connect signing keys. */
const SIGNING_KEY_CHECK_MS = 10 * 60_000;

/** The API process: the step API over HTTP. */
export async function startApiProcess(
  ctx: ProcessContext,
  overrides: ApiOverrides = {},
): Promise<Running & { url: string; server: Server; operatorKey?: string }> {
  const { config, keyring, log } = ctx;
  const operator = await operatorSurfaces(config);
  const registry = createRegistry(overrides.journeys ?? journeyDefinitions, activityNames);
  const prisma = createPrisma(ctx.databaseUrl, { max: 5 });
  const vault = createVault(prisma, keyring);
  const runKeys = createRunKeys(prisma, keyring);
  const { connection, client } = await connectTemporalClient({
    address: ctx.temporalAddress,
    namespace: config.TEMPORAL_NAMESPACE,
    keyring,
    runKeys,
  });
  const added = await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE).catch((err) => {
    log.warn(
      { err },
      'could not register the journey search attributes; runs will not be listable by journey/step',
    );
    return [];
  });
  if (added.length) log.info({ added }, 'search attributes registered');
  const passwordPolicy = createPasswordPolicyPool();
  const temporal = { client, taskQueue: config.TEMPORAL_TASK_QUEUE };
  const pendingRuns = createPendingRuns({
    prisma,
    keyring,
    temporal,
    onRefused: (id, err) =>
      log.error({ err, id }, 'pending runs: a row whose arguments do not open was dropped'),
    onLeftBehind: (id, err) =>
      log.warn({ err, id }, 'pending runs: a started run keeps its row until the sweep'),
  });
  const sweep = startPendingRunSweep(pendingRuns, {
    intervalMs: overrides.pendingRunSweepMs ?? config.PENDING_RUN_SWEEP_MS,
    onError: (err) => log.warn({ err }, 'pending runs: the sweep failed; it tries again'),
  });
  const sessions = createSessionStore({ prisma, idleMs: config.sessionIdleMs });
  const bearerSession = createBearerSessions(sessions);
  // The provider's routes, built on first use from the provider of the moment (rebuilt after a key
  // change) and the app's hosted pages, which draw its interactions.
  let provider: ReturnType<typeof createOidcProvider> | undefined;
  let oidc: Router | undefined;
  const app = createApp({
    oidc: (pages) => {
      if (provider && !oidc) oidc = createOidcApi({ provider, prisma, bearerSession, pages });
      return oidc;
    },
    pages: {
      brand: {
        name: config.PARCOURS_PRODUCT_NAME,
        logo: config.PARCOURS_BRAND_LOGO_URL,
        color: config.PARCOURS_BRAND_COLOR,
        background: config.PARCOURS_BRAND_BACKGROUND,
      },
      secure: config.secureCookies,
      socialProviders: config.socialProviders.map(({ id, name }) => ({ id, name })),
    },
    registry,
    prisma,
    keyring,
    log,
    devOutbox: overrides.devOutbox ?? config.devOutbox,
    allowedHosts: config.allowedHosts,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    rateLimitReadsPerMinute: config.RATE_LIMIT_READS_PER_MINUTE,
    trustProxy: config.TRUST_PROXY,
    temporal,
    pendingRuns,
    recordJourneyEvents: (events) => recordJourneyEvents(prisma, events),
    tokens: createJourneyTokens(keyring),
    sealStepInput: createStepInputSealer({
      passwordPolicy,
      vault,
      ...(config.breachedPasswords
        ? { breachedPasswords: createBreachedPasswordCheck({ ...config.breachedPasswords, log }) }
        : {}),
    }),
    publicView: createPublicViews(registry, vault),
    sessions,
    bearerSession,
    accountAal: sessions.accountAal,
    sessionGrants: createSessionGrants(keyring),
    requesterOf: createRequesterIds(keyring),
    ...(operator.codec ? { codec: { ...operator.codec, runKeys } } : {}),
    runKeys,
    ...(operator.analytics ? { analytics: operator.analytics } : {}),
    returnToAllowed: config.RETURN_TO_ALLOWED,
    ...(config.twilio && config.PARCOURS_PUBLIC_URL
      ? {
          twilioCallbacks: {
            authToken: config.twilio.authToken,
            url: twilioStatusUrl(config.PARCOURS_PUBLIC_URL),
          },
        }
      : {}),
    ...(overrides.journeySettings ? { journeySettings: overrides.journeySettings } : {}),
    ...(overrides.stepTimeoutMs ? { stepTimeoutMs: overrides.stepTimeoutMs } : {}),
    ...(overrides.journeyLifetimeMs ? { journeyLifetimeMs: overrides.journeyLifetimeMs } : {}),
  });
  const server = createServer(app);
  /** What the API holds besides its server: let go on stop, and on a refused listen. */
  const release = async () => {
    await sweep.stop();
    await connection.close();
    await prisma.$disconnect();
    await passwordPolicy.close();
  };
  const wanted = overrides.port ?? config.PORT;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(wanted, config.HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await release();
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw new Error(
      `${config.HOST}:${wanted} is already in use (EADDRINUSE): set PORT to a free port`,
    );
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.HOST}:${port}`;
  // Rebuilt when the signing keys change (a rotation published one, or its switch came): every API
  // process serves the same key set, and signs with the same key, within one check.
  let keySet = '';
  const pageSessionCookie = pageCookies(config.secureCookies);
  const buildOidc = async () => {
    const jwks = await loadSigningKeys(prisma, keyring);
    const kids = jwks.keys.map((key) => key.kid).join(' ');
    if (kids === keySet) return;
    provider = createOidcProvider({
      // The same issuer from every API process: the public URL, else where this one listens.
      issuer: `${(config.PARCOURS_PUBLIC_URL ?? url).replace(/\/+$/, '')}${OIDC_PATH}`,
      prisma,
      keyring,
      apps: createAppRegistry(prisma),
      jwks,
      proxy: config.TRUST_PROXY !== false,
      fetchPrivateAddresses: config.OIDC_FETCH_PRIVATE_ADDRESSES === 'true',
      sessionIdleMs: config.sessionIdleMs,
      browserSession: async (request) => {
        const token = pageSessionCookie.read(request, SESSION_COOKIE);
        if (!token) return 'absent';
        const session = await sessions.resolve(token);
        return session && { userId: session.userId };
      },
      log,
    });
    oidc = undefined;
    keySet = kids;
  };
  try {
    await buildOidc();
  } catch (error) {
    server.close();
    await release();
    throw error;
  }
  const keyCheck = setInterval(() => {
    void buildOidc().catch((err) => log.warn({ err }, 'OpenID Connect: the key check failed'));
  }, SIGNING_KEY_CHECK_MS);
  keyCheck.unref();
  // What the provider kept past its expiry (codes, sessions, tokens) is removed hourly.
  const purge = setInterval(() => {
    void purgeExpiredModels(prisma, new Date()).catch((err) =>
      log.warn({ err }, 'OpenID Connect: the purge of expired models failed'),
    );
  }, 3_600_000);
  purge.unref();
  return {
    url,
    server,
    ...(operator.generatedKey ? { operatorKey: operator.generatedKey } : {}),
    async stop() {
      clearInterval(purge);
      clearInterval(keyCheck);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await release();
    },
  };
}
