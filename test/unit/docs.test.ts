import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { activityNames } from '../../src/activities/catalog.js';
import { createJourneyTestKit } from '../../src/authoring/test-kit.js';
import { errorCatalogue } from '../../src/errors/catalogue.js';
import { createRegistry } from '../../src/journey-registry/registry.js';
import { confirmEmail } from '../fixtures/authoring/confirm-email.journey.js';

// The docs are what a newcomer reads after the README: what they show must be what the code does.
const authoring = readFileSync(new URL('../../docs/authoring.md', import.meta.url), 'utf8');
const stepApi = readFileSync(new URL('../../docs/step-api.md', import.meta.url), 'utf8');
const fixture = readFileSync(
  new URL('../fixtures/authoring/confirm-email.journey.ts', import.meta.url),
  'utf8',
);

describe('the docs', () => {
  it("shows the example journey word for word, with a journey file's imports", () => {
    const asInJourneys = fixture
      .replace("'../../../src/journey-kit/index.js'", "'../src/journey-kit/index.js'")
      .replace(
        "'../../../journeys/fragments/code-challenge.js'",
        "'./fragments/code-challenge.js'",
      );
    expect(authoring).toContain(`\`\`\`ts\n${asInJourneys}\`\`\``);
  });

  it('has an example journey that passes the load-time checks and runs to completion', async () => {
    expect(() => createRegistry([confirmEmail], activityNames)).not.toThrow();
    const kit = createJourneyTestKit(confirmEmail, {
      activities: {
        issueOtp: () => ({
          challengeId: 'challenge-1',
          messageId: 'message-1',
          expiresAt: new Date(600_000).toISOString(),
          resendAvailableAt: new Date(30_000).toISOString(),
        }),
        deliverMessage: () => ({ status: 'sent' }),
        verifyOtp: () => ({ recipient: 'ada@example.com' }),
      },
    });
    expect((await kit.submit('address', { email: 'ada@example.com' })).step?.name).toBe(
      'verify-email',
    );
    expect(await kit.submit('verify-email', { code: '123456' })).toEqual({
      status: 'completed',
      result: { type: 'none' },
    });
  });

  it('lists the error catalogue as it is: every code, its status, whether it is shown, its message', () => {
    const rows = [...stepApi.matchAll(/^\| `(\w+)` +\| (\d{3}) +\| (yes|no) +\| (.+?) +\|$/gm)].map(
      ([, code, status, shown, message]) => [code, Number(status), shown === 'yes', message],
    );
    expect(rows).toEqual(
      Object.entries(errorCatalogue).map(([code, spec]) => [
        code,
        spec.status,
        spec.shown,
        spec.message,
      ]),
    );
  });
});
