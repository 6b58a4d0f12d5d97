import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { PasswordVerdict } from './password-policy.js';

/** The password policy, checked off the event loop. */
export interface PasswordPolicyPool {
  check(password: string, userInputs: string[], minLength?: number): Promise<PasswordVerdict>;
  close(): Promise<void>;
}

const workerFile = new URL('./password-policy.worker.ts', import.meta.url).href;

/**
 * Runs the password policy in worker threads (piscina): zxcvbn's estimate costs 5-50 ms of CPU per
 * password, which on the event loop would stall every other request of the API meanwhile. One
 * thread per core but one, at least one; each loads the dictionaries once.
 */
export function createPasswordPolicyPool(
  threads = Math.max(1, availableParallelism() - 1),
): PasswordPolicyPool {
  const pool = new Piscina({
    filename: workerFile,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    // The worker is TypeScript: a process started by tsx passes its loader on to its threads;
    // one whose TypeScript is compiled in-process (vitest) does not, so it is named here.
    ...(process.execArgv.some((arg) => arg.includes('tsx'))
      ? {}
      : { execArgv: [...process.execArgv, '--import', 'tsx'] }),
  });
  return {
    check: (password, userInputs, minLength) =>
      pool.run({ password, userInputs, ...(minLength ? { minLength } : {}) }),
    close: () => pool.destroy(),
  };
}
