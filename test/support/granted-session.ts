import type { PrismaClient } from '../../src/db/prisma.js';
import type { SessionRef, SessionRequirement } from '../../src/journey-kit/define-journey.js';
import type { Keyring } from '../../src/security/keyring.js';
import { createSessionGrants } from '../../src/sessions/session-grant.js';
import { sessionRefOf } from '../../src/sessions/session-store.js';

/**
 * A session reference as the step API hands one to the run `run` (signed for it, for an hour), for
 * tests that call activities directly.
 */
export async function grantedSession(
  prisma: PrismaClient,
  keyring: Keyring,
  sessionId: string,
  run: string,
  options: { journey?: string; demand?: SessionRequirement } = {},
): Promise<SessionRef> {
  const row = await prisma.session.findUniqueOrThrow({ where: { id: sessionId } });
  return createSessionGrants(keyring).sign(sessionRefOf(row), {
    run,
    journey: options.journey ?? 'test@1',
    notAfter: new Date(Date.now() + 3_600_000).toISOString(),
    demand: options.demand ?? {},
  });
}
