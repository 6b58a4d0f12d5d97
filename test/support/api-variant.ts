import { type ApiOverrides, startApiProcess } from '../../src/runtime/processes.js';
import type { Stack } from './stack.js';

/**
 * Another step API on a running stack (same worker, database and Temporal) with its own journey
 * settings, step timeout or dev outbox: settings travel as workflow arguments, so one worker serves all.
 */
export function startApiVariant(
  stack: Stack,
  overrides: Omit<ApiOverrides, 'port'>,
  config: Partial<Stack['config']> = {},
) {
  return startApiProcess(
    { ...stack.ctx, config: { ...stack.ctx.config, ...config } },
    { ...overrides, port: 0 },
  );
}
