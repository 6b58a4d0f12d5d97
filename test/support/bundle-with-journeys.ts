import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../../workers/worker.js';

type BundleOptions = Parameters<typeof bundleWorkflowCode>[0];
type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];

const quiet = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** The real journey workflow bundled with `journeys/modules.js` swapped for another journey map. */
export function withJourneys(journeysModule: string) {
  return (config: WebpackConfig): WebpackConfig => ({
    ...config,
    plugins: [
      ...(config.plugins ?? []),
      {
        apply(compiler) {
          compiler.hooks.normalModuleFactory.tap('replace-journeys', (factory) => {
            factory.hooks.beforeResolve.tap('replace-journeys', (data) => {
              if (data.request.endsWith('/journeys/modules.js')) data.request = journeysModule;
            });
          });
        },
      },
    ],
  });
}

export async function bundleWithJourneys(journeysModule: string): Promise<{ code: string }> {
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions,
    logger: quiet,
    webpackConfigHook: (config) =>
      withJourneys(journeysModule)(workflowBundleOptions.webpackConfigHook(config)),
  });
  return { code };
}
