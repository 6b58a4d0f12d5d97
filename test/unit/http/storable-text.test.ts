import { describe, expect, it } from 'vitest';
import { unstorableText } from '../../../src/http/storable-text.js';

describe('text PostgreSQL could not keep as sent', () => {
  it('finds NUL and half surrogate pairs anywhere in a body, keys included, with JSON pointers', () => {
    const body = {
      name: 'a\u0000b',
      tags: ['fine', 'x\ud800'],
      nested: { 'a/b': '\udc00y', ok: 'é 🙂' },
      'bad\u0000key': 1,
    };
    expect(unstorableText(body).map((error) => [error.path, error.code])).toEqual([
      ['/name', 'invalid_character'],
      ['/tags/1', 'invalid_character'],
      ['/nested/a~1b', 'invalid_character'],
      ['/bad\ufffdkey', 'invalid_character'],
    ]);
  });

  it('takes whole surrogate pairs (emoji), every other character, numbers, booleans and null', () => {
    expect(
      unstorableText({
        text: '🙂 日本 \u0001 \ufffd',
        list: [1, true, null],
        deep: { e: '👩‍👩‍👧' },
      }),
    ).toEqual([]);
  });
});
