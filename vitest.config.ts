import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The WASM schema engine (migrations) needs this flag on Node 20.
    execArgv: ['--experimental-wasm-modules', '--no-warnings=ExperimentalWarning'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: one file at a time keeps Temporal, Postgres and the workers from starving.
          fileParallelism: false,
        },
      },
    ],
  },
});
