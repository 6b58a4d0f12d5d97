import { type Score, ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import { normalizePassword } from './password-hash.js';

// NIST SP 800-63B §5.1.1.2 and ASVS 4.0 §2.1.1/2.1.2: at least 8, at most 256, never truncated.
const MIN_LENGTH = 8;
const MAX_LENGTH = 256;
// zxcvbn score 2 = at least 10^6 guesses: below that an online attacker gets through rate limits.
const MIN_SCORE = 2;
// zxcvbn's defaults cost up to 3-4 s of blocking CPU on a 256-character random password (measured
// here); estimating on the first 64 characters keeps the worst case near 70 ms. Characters past the
// window only add guesses, so ignoring them errs on the strict side.
const ESTIMATE_WINDOW = 64;
// Policy (docs/performance-history.md): zxcvbn tries at most 3 l33t substitutions per word (its default is
// 10). That made the estimate 1.4-4× cheaper on the passwords measured, with the same score for
// each, and for 3,000 common passwords; a word disguised by four substitutions ("$3cur3P@$$w0rd")
// still scores 1 and is refused (tested).
const L33T_MAX_SUBSTITUTIONS = 3;

/** zxcvbn's advice, in English. */
export interface PasswordFeedback {
  warning?: string;
  suggestions: string[];
}

export type PasswordRefusal =
  | 'password_too_short'
  | 'password_too_long'
  | 'password_common'
  | 'password_weak';

/** The outcome of checking a candidate password. */
export type PasswordVerdict =
  | { ok: true; score: Score; feedback: PasswordFeedback }
  | {
      ok: false;
      code: PasswordRefusal;
      message: string;
      score?: Score;
      feedback: PasswordFeedback;
    };

export interface PasswordPolicy {
  /**
   * `userInputs`: words the customer's context makes guessable (email address, name, product
   * name). `minLength`: a journey's own minimum, never below 8.
   */
  check(password: string, userInputs: string[], minLength?: number): PasswordVerdict;
}

/**
 * Builds the password policy (NIST SP 800-63B §5.1.1.2; ASVS 2.1.1, 2.1.2, 2.1.7, 2.1.9): length in
 * code points after NFKC, no composition rules, refuse known-common passwords and anything
 * zxcvbn finds guessable. Building loads the dictionaries once; build one per process.
 */
export function createPasswordPolicy(): PasswordPolicy {
  const zxcvbn = new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
    maxLength: ESTIMATE_WINDOW,
    l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
  });
  // The list is stored lower-case, so a lower-cased lookup is a case-insensitive match (ASVS 2.1.7).
  const commonPasswords = new Set(zxcvbnCommon.dictionary['passwords-common']);

  return {
    check(password, userInputs, minLength = MIN_LENGTH) {
      const atLeast = Math.max(MIN_LENGTH, minLength);
      const normalized = normalizePassword(password);
      const length = [...normalized].length;
      if (length > MAX_LENGTH) {
        return refuse('password_too_long', `Use at most ${MAX_LENGTH} characters.`, {
          suggestions: [],
        });
      }
      const result = zxcvbn.check(normalized, contextWords(userInputs));
      const feedback: PasswordFeedback = {
        ...(result.feedback.warning ? { warning: result.feedback.warning } : {}),
        suggestions: result.feedback.suggestions,
      };
      if (length < atLeast) {
        return refuse(
          'password_too_short',
          `Use at least ${atLeast} characters.`,
          feedback,
          result.score,
        );
      }
      if (commonPasswords.has(normalized.toLowerCase())) {
        return refuse(
          'password_common',
          'This password is one of the most common; choose another.',
          feedback,
          result.score,
        );
      }
      if (result.score < MIN_SCORE) {
        return refuse(
          'password_weak',
          'This password is too easy to guess.',
          feedback,
          result.score,
        );
      }
      return { ok: true, score: result.score, feedback };
    },
  };
}

function refuse(
  code: PasswordRefusal,
  message: string,
  feedback: PasswordFeedback,
  score?: Score,
): PasswordVerdict {
  return { ok: false, code, message, feedback, ...(score === undefined ? {} : { score }) };
}

// zxcvbn matches whole dictionary words, so "jane.doe@example.com" alone would not catch
// "jane.doe" or "janedoe": add the address's local part and each of its words.
function contextWords(userInputs: string[]): string[] {
  const words = new Set<string>();
  for (const input of userInputs) {
    const value = normalizePassword(input).trim().toLowerCase();
    if (value === '') continue;
    words.add(value);
    const at = value.lastIndexOf('@');
    if (at > 0) {
      words.add(value.slice(0, at));
      words.add(value.slice(0, at).replace(/[^\p{L}\p{N}]+/gu, ''));
    }
    for (const part of value.split(/[^\p{L}\p{N}]+/u)) if (part.length >= 3) words.add(part);
  }
  return [...words];
}
