import { Context } from '@temporalio/activity';
import { businessFailure } from '../errors/journey-error.js';

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

/**
 * The run an activity acts for, checked: a journey passes its id (`journeyId`) as an argument, and
 * a run's arguments can be written by anyone who reaches Temporal, so the argument must name the
 * very run making the call (its workflow id). Another run's id is refused, nothing done, and the
 * attempt logged: one run cannot take another's challenge, session or slot (trust boundary 1).
 */
export function ownRun(claimed: string): string {
  const run = currentRunId();
  if (claimed !== run) {
    Context.current().log.warn('run refused', { reason: 'an argument names another run' });
    throw businessFailure('run_refused');
  }
  return run;
}
