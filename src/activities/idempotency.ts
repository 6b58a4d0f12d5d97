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

/**
 * The run this activity call belongs to: its workflow id, which no argument can change (trust
 * boundary 1). What an activity records as the run's doing names this, never an argument.
 */
export function currentRunId(): string {
  const run = Context.current().info.workflowExecution?.workflowId;
  if (!run) throw new Error('currentRunId() needs an activity started by a workflow');
  return run;
}
