import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { abortedByTaskFailure, sendUpdate } from '../../../src/http/update-retry.js';

/*
 * Temporal aborts an update when the workflow task carrying it fails unexpectedly, a transient
 * failure the next task recovers from (temporalio/temporal#7296, #7741). CI saw it as a 500 on a
 * step submission: the update is sent again, under the same update id, so it is applied once.
 */

const aborted = () =>
  new ServiceError('Workflow Update failed', {
    cause: Object.assign(
      new Error(
        '9 FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure.',
      ),
      { code: 9 },
    ),
  });

describe('sending a workflow update', () => {
  it('sends it again, under the same update id, when a failed workflow task aborted it', async () => {
    const ids: string[] = [];
    const answer = await sendUpdate(async (updateId) => {
      ids.push(updateId);
      if (ids.length < 3) throw aborted();
      return 'applied';
    });
    expect(answer).toBe('applied');
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
  });

  it('gives up after four attempts, answering the abort', async () => {
    let attempts = 0;
    await expect(
      sendUpdate(async () => {
        attempts += 1;
        throw aborted();
      }),
    ).rejects.toBeInstanceOf(ServiceError);
    expect(attempts).toBe(4);
  });

  it('never sends again on any other failure (a rejection, another precondition, another code)', async () => {
    const others = [
      new Error('the step is not current'),
      new ServiceError('Workflow Update failed', {
        cause: Object.assign(new Error('9 FAILED_PRECONDITION: workflow is closing'), { code: 9 }),
      }),
      new ServiceError('Workflow Update failed', {
        cause: Object.assign(new Error('unexpected workflow task failure'), { code: 14 }),
      }),
    ];
    for (const error of others) {
      expect(abortedByTaskFailure(error)).toBe(false);
      let attempts = 0;
      await expect(
        sendUpdate(async () => {
          attempts += 1;
          throw error;
        }),
      ).rejects.toBe(error);
      expect(attempts).toBe(1);
    }
  });
});
