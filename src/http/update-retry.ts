import { randomUUID } from 'node:crypto';
import { ServiceError } from '@temporalio/client';

/** gRPC's status code 9 (grpc/grpc doc/statuscodes.md). */
const FAILED_PRECONDITION = 9;
/** How many times an update aborted by a failed workflow task is sent again. */
const ATTEMPTS = 4;

/**
 * Whether Temporal aborted the update because the workflow task carrying it failed unexpectedly
 * (`FAILED_PRECONDITION`, "unexpected workflow task failure": temporalio/temporal#7296). That
 * failure is transient (the next task replays the history and goes on, #7741), and the update was
 * never applied: sending it again is safe.
 */
export const abortedByTaskFailure = (error: unknown): boolean =>
  error instanceof ServiceError &&
  (error.cause as { code?: number } | undefined)?.code === FAILED_PRECONDITION &&
  /unexpected workflow task failure/i.test(String((error.cause as Error).message ?? error.message));

/**
 * Sends a workflow update, again (under the same update id, so it is applied at most once) when a
 * transient workflow task failure aborted it. Seen in CI as a 500 on a step submission.
 */
export async function sendUpdate<T>(send: (updateId: string) => Promise<T>): Promise<T> {
  const updateId = randomUUID();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send(updateId);
    } catch (error) {
      if (attempt >= ATTEMPTS || !abortedByTaskFailure(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}
