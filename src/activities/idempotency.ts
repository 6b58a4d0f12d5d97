import { Context } from '@temporalio/activity';

/**
 * A key that stays the same when Temporal retries or replays this activity call (workflow id +
 * activity sequence), so effects it guards happen once.
 */
export function activityIdempotencyKey(): string {
  const { workflowExecution, activityId } = Context.current().info;
  if (!workflowExecution)
    throw new Error('activityIdempotencyKey() needs an activity started by a workflow');
  return `${workflowExecution.workflowId}:${activityId}`;
}
