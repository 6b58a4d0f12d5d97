// Memory as journeys wait: registrations left at `verify-email` (a customer reading their mail),
// and the resident memory each process holds for them.
import { readFileSync } from 'node:fs';
import { stepApiClient } from '../test/support/http.js';
import { pool } from './load.js';

/** A process's resident set (VmRSS), in MiB; 0 once it is gone. */
export function residentMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
    return kib / 1024;
  } catch {
    return 0;
  }
}

/**
 * `count` registrations moved to `verify-email` and left there: started, credentials submitted,
 * the code mailed and never typed. Answers each run's journey token by its id, in the order the
 * runs came to wait, and the failures.
 */
export async function waitingRegistrations(options: {
  apiUrl: string;
  count: number;
  concurrency: number;
  tag: string;
}): Promise<{ tokens: Map<string, string>; errors: string[] }> {
  const client = stepApiClient(options.apiUrl);
  const tokens = new Map<string, string>();
  const errors: string[] = [];
  await pool(options.count, options.concurrency, async (index) => {
    try {
      const { id, token } = (await client.start('registration')).body;
      const answer = await client.submit(id, token, 'credentials', {
        email: `bench-${options.tag}-${index}@example.com`,
        password: `bench passphrase number ${index}`,
      });
      if (answer.body.step?.name !== 'verify-email')
        throw new Error(
          `credentials: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`,
        );
      tokens.set(id, token);
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  });
  return { tokens, errors };
}
