import { beforeAll, describe, expect, it } from 'vitest';
import {
  createPasswordPolicy,
  type PasswordPolicy,
} from '../../../src/security/password-policy.js';

// A deterministic, patternless run of printable ASCII: strong at any length.
const strong = (length: number) =>
  Array.from({ length }, (_, i) => String.fromCharCode(33 + ((i * 37 + (i >> 3) * 11) % 94))).join(
    '',
  );

describe('password policy (NIST SP 800-63B §5.1.1.2, ASVS 2.1)', () => {
  let policy: PasswordPolicy;
  beforeAll(() => {
    policy = createPasswordPolicy();
  });

  it('accepts a long passphrase', () => {
    expect(policy.check('tangerine kayak whispers over basalt', ['ada@example.com'])).toMatchObject(
      { ok: true },
    );
  });

  it('imposes no composition rule: an all-lowercase passphrase is fine (ASVS 2.1.9)', () => {
    const verdict = policy.check('purple otter juggles quietly', []);
    expect(verdict.ok).toBe(true);
  });

  it.each(['password123', 'iloveyou', 'ILoveYou', 'ｐａｓｓｗｏｒｄ１２３'])(
    'refuses %s as common (ASVS 2.1.7)',
    (pw) => {
      expect(policy.check(pw, [])).toMatchObject({ ok: false, code: 'password_common' });
    },
  );

  it('refuses a common word disguised with four l33t substitutions, though zxcvbn tries at most three', () => {
    expect(policy.check('$3cur3P@$$w0rd', [])).toMatchObject({ ok: false, code: 'password_weak' });
    expect(policy.check('dr4g0n$l4y3r', [])).toMatchObject({ ok: false, code: 'password_weak' });
  });

  it("refuses a password made of the email address's local part", () => {
    expect(policy.check('zorblaxquintor', [])).toMatchObject({ ok: true });
    const verdict = policy.check('zorblaxquintor', ['zorblaxquintor@example.com']);
    expect(verdict).toMatchObject({ ok: false, code: 'password_weak' });
    expect(verdict.feedback.warning).toMatch(/personal/);
  });

  it('refuses what zxcvbn guesses in under 10^6 tries, with its advice', () => {
    const verdict = policy.check('P@ssw0rd!', []);
    expect(verdict).toMatchObject({ ok: false, code: 'password_weak', score: 1 });
    expect(verdict.feedback.warning).toBeTruthy();
    expect(verdict.feedback.suggestions.length).toBeGreaterThan(0);
  });

  it('refuses fewer than 8 characters (ASVS 2.1.1)', () => {
    expect(policy.check('k7#Qz!p', [])).toMatchObject({
      ok: false,
      code: 'password_too_short',
      message: 'Use at least 8 characters.',
    });
  });

  it('accepts 256 code points and refuses 257, never truncating (ASVS 2.1.2)', () => {
    expect(policy.check(strong(256), [])).toMatchObject({ ok: true });
    expect(policy.check(strong(257), [])).toMatchObject({ ok: false, code: 'password_too_long' });
  });

  it('counts an emoji as one code point', () => {
    const sevenEmoji = '🦊🐙🌵🎻🚲🧭🍋';
    expect(sevenEmoji).toHaveLength(14);
    expect(policy.check(sevenEmoji, [])).toMatchObject({ ok: false, code: 'password_too_short' });
    expect(policy.check(`${sevenEmoji}🪐`, [])).not.toMatchObject({ code: 'password_too_short' });
  });

  it('counts length after NFKC', () => {
    // Four U+FB03 ligatures are 4 code points as typed, 12 ("ffi" x 4) once normalized.
    expect(policy.check('\ufb03\ufb03\ufb03\ufb03', [])).not.toMatchObject({
      code: 'password_too_short',
    });
  });
});
