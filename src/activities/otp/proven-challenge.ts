import { Context } from '@temporalio/activity';
import type { Prisma } from '../../db/prisma.js';
import type { ErrorCode } from '../../errors/catalogue.js';
import { businessFailure } from '../../errors/journey-error.js';

type Reader = Pick<Prisma.TransactionClient, 'otpChallenge'>;
type AccountReader = Pick<Prisma.TransactionClient, 'otpChallenge' | 'identifier'>;

/**
 * The recipient a code challenge proved, for an activity acting on that proof: only a challenge
 * issued to the activity's own run and consumed by it (`verifyOtp` records `<workflow id>:<activity
 * id>`), for `purpose`. The run's id comes from the activity's context, which no argument can
 * change: a run handed another run's challenge, an unconsumed one or one for another purpose gets
 * `refusal`, and the reason goes to the worker's log.
 */
export async function provenRecipient(
  db: Reader,
  challengeId: string,
  expected: { purpose: string; channel: 'email' | 'sms'; refusal: ErrorCode },
): Promise<string> {
  const run = Context.current().info.workflowExecution?.workflowId;
  const refuse = (reason: string) => {
    Context.current().log.warn('proof refused', { reason, purpose: expected.purpose });
    return businessFailure(expected.refusal);
  };
  const challenge = await db.otpChallenge.findUnique({ where: { id: challengeId } });
  if (!challenge || !run || challenge.journeyId !== run) throw refuse('not this run’s challenge');
  if (challenge.purpose !== expected.purpose || challenge.channel !== expected.channel)
    throw refuse(`not a ${expected.purpose} challenge`);
  if (!challenge.consumedAt || !challenge.consumedBy?.startsWith(`${run}:`))
    throw refuse('the code was not proven in this run');
  return challenge.recipient;
}

/**
 * The account an inbox proof stands for (account recovery, a factor reset: trust boundary 9): the
 * active account that has verified the address this run's code challenge for `purpose` proved.
 * Anything else is `recovery_not_proven`, and the reason goes to the worker's log.
 */
export async function provenAccount(
  db: AccountReader,
  challengeId: string,
  purpose: string,
): Promise<string> {
  const address = await provenRecipient(db, challengeId, {
    purpose,
    channel: 'email',
    refusal: 'recovery_not_proven',
  });
  const identifier = await db.identifier.findUnique({
    where: { type_value: { type: 'email', value: address } },
    select: { userId: true, verifiedAt: true, user: { select: { status: true } } },
  });
  if (!identifier?.verifiedAt || identifier.user.status !== 'active') {
    Context.current().log.warn('proof refused', {
      reason: 'no active account verified it',
      purpose,
    });
    throw businessFailure('recovery_not_proven');
  }
  return identifier.userId;
}
