import type { Running } from '../runtime/processes.js';

/**
 * Runs a process role until SIGINT/SIGTERM, then stops it cleanly (children such as the
 * Temporal dev server are stopped, not orphaned). A start-up failure exits 1 with its message.
 */
export async function runMain(start: () => Promise<Running>): Promise<void> {
  let running: Running;
  try {
    running = await start();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping…`);
    await running.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
