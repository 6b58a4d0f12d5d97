import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApplicationFailure,
  type DataConverter,
  type Logger,
  type LogLevel,
  type LogMetadata,
} from '@temporalio/common';
import {
  type BundleOptions,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
} from '@temporalio/worker';
import { withJourneyEvents } from '../src/activities/analytics/analytics.js';
import type { Activities } from '../src/activities/index.js';
import { failureConverterPath } from '../src/temporal/connection.js';

/** The workflow sandbox's entry point: journeys and the generic workflow, bundled by Temporal. */
export const workflowsPath = fileURLToPath(new URL('./workflow/index.ts', import.meta.url));

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];

/**
 * XState's production build: the SDK bundles in webpack's development mode, which resolves xstate's
 * `development` export, a build that adds checks and warnings to every transition.
 */
const xstateProduction = join(
  dirname(createRequire(import.meta.url).resolve('xstate/package.json')),
  'dist/xstate.esm.js',
);
function productionBuilds(config: WebpackConfig): WebpackConfig {
  return {
    ...config,
    resolve: { ...config.resolve, alias: { ...config.resolve?.alias, xstate$: xstateProduction } },
  };
}

/**
 * How the worker has webpack bundle the workflow code: production builds, and every module of the
 * sandbox preloaded once per worker and shared by its runs (workflow/preload.ts says what that asks).
 */
const bundlerOptions = {
  preloadModules: [fileURLToPath(new URL('./workflow/preload.ts', import.meta.url)), workflowsPath],
  webpackConfigHook: productionBuilds,
};

/** What a workflow bundle is made of; a bundle made elsewhere (tests) must use the same. */
export const workflowBundleOptions = {
  workflowsPath,
  failureConverterPath,
  ...bundlerOptions,
} satisfies BundleOptions;

export interface JourneyWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  dataConverter: DataConverter;
  /** A bundle made once with `bundleWorkflowCode` (tests); otherwise the worker bundles at start. */
  workflowBundle?: { code: string };
  /** Runs kept in the worker's sticky cache between their steps (`WORKER_CACHED_RUNS`). */
  cachedRuns?: number;
  /** How long a run stays on this worker's sticky queue before another worker may take it. */
  stickyQueueScheduleToStartTimeout?: string;
  /**
   * The SDK's `__stack_trace` query (a stuck run's awaits, in the UI's Stack Trace tab). It costs a
   * captured, source-mapped stack for every promise a run creates, a third of the workflow thread
   * (docs/performance-history.md); off unless asked for. Read by patches/@temporalio+worker+*.patch.
   */
  stackTraces?: boolean;
  debug?: boolean;
}

/**
 * A wrong code is the journey's business, not an incident: business failures (non-retryable,
 * handled by the journey's onError) are logged at DEBUG instead of Temporal's WARN with a stack.
 */
function quietBusinessFailures(inner: Logger): Logger {
  const level = (requested: LogLevel, message: string, meta?: LogMetadata): LogLevel =>
    requested === 'WARN' &&
    message === 'Activity failed' &&
    meta?.error instanceof ApplicationFailure &&
    meta.error.nonRetryable
      ? 'DEBUG'
      : requested;
  const at = (requested: LogLevel) => (message: string, meta?: LogMetadata) =>
    inner.log(level(requested, message, meta), message, meta);
  return {
    log: (requested, message, meta) => inner.log(level(requested, message, meta), message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

/**
 * Temporal's own logging for this process (once; later calls keep the first). Its INFO level
 * narrates every worker state change, so the default is WARN.
 */
function installTemporalRuntime(debug: boolean): void {
  try {
    Runtime.install({ logger: quietBusinessFailures(new DefaultLogger(debug ? 'DEBUG' : 'WARN')) });
  } catch {
    // Already installed by an earlier worker in this process.
  }
}

/** A Temporal worker running the generic journey workflow and the journey activities. */
export async function createJourneyWorker(
  options: JourneyWorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  installTemporalRuntime(options.debug ?? false);
  // The workflow threads read it as they start, in Worker.create.
  process.env.TEMPORAL_WORKFLOW_STACK_TRACES = options.stackTraces ? 'on' : 'off';
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath, bundlerOptions }),
    activities: withJourneyEvents(options.activities),
    dataConverter: options.dataConverter,
    // Runs kept in memory between their steps; past it the least recent is evicted and replays its
    // history at its next step (docs/performance.md). The SDK's default follows the heap's size.
    ...(options.cachedRuns !== undefined ? { maxCachedWorkflows: options.cachedRuns } : {}),
    ...(options.stickyQueueScheduleToStartTimeout
      ? { stickyQueueScheduleToStartTimeout: options.stickyQueueScheduleToStartTimeout }
      : {}),
  });
  return { worker, connection };
}
