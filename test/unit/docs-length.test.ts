import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README is read in ten minutes and each docs page in one sitting; a wide table row cannot be
// read at all. The generated diagrams (docs/journeys/) are drawn from the machines, not written.
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const docsPages = readdirSync(join(repoRoot, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const linesOf = (page: string) =>
  readFileSync(join(repoRoot, page), 'utf8').replace(/\n$/, '').split('\n');

describe('the README and the docs pages', () => {
  it('keeps the README under 250 lines', () => {
    expect(linesOf('README.md').length).toBeLessThan(250);
  });

  it('keeps each docs page under 300 lines', () => {
    expect(docsPages.length).toBeGreaterThan(5);
    for (const page of docsPages) expect(linesOf(page).length, page).toBeLessThan(300);
  });

  it('has no line over 160 characters', () => {
    for (const page of ['README.md', ...docsPages]) {
      const long = linesOf(page)
        .map((line, index) => ({ line: index + 1, length: [...line].length }))
        .filter(({ length }) => length > 160);
      expect(long, page).toEqual([]);
    }
  });
});
