import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordPolicy } from '../../../src/security/password-policy.js';
import {
  createPasswordPolicyPool,
  type PasswordPolicyPool,
} from '../../../src/security/password-policy-pool.js';

describe('password policy pool (the strength estimate off the event loop)', () => {
  let pool: PasswordPolicyPool;
  beforeAll(() => {
    pool = createPasswordPolicyPool(1);
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('gives the same verdicts as the policy in this thread', async () => {
    const policy = createPasswordPolicy();
    for (const [password, context] of [
      ['tangerine kayak whispers over basalt', ['ada@example.com']],
      ['password123', []],
      ['zorblaxquintor', ['zorblaxquintor@example.com']],
      ['short', []],
    ] as const) {
      expect(await pool.check(password, [...context])).toEqual(
        policy.check(password, [...context]),
      );
    }
  });

  it('keeps the event loop free while it estimates', async () => {
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 1);
    // A long password with many l33t candidates costs the estimate tens of milliseconds.
    const checks = Array.from({ length: 8 }, (_, index) =>
      pool.check(`Correct-Horse-${index}23456789-Battery!`, []),
    );
    await Promise.all(checks);
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(5);
  });
});
