import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The guide is a newcomer's first hour: what it shows must be what the code is. Its curl
// walkthrough runs in test/e2e/first-journey.test.ts.
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
/** Its two pages, side by side in docs/: the journey read, then registered, checked, tested and run. */
const GUIDE_PAGES = ['docs/first-journey.md', 'docs/first-journey-run.md'];
const guide = GUIDE_PAGES.map(read).join('\n');

/** Repository paths the guide names in backticks (`journeys/newsletter.ts`). */
const namedPaths = [...guide.matchAll(/`((?:journeys|src|test|docs|prisma)\/[^`\s]*)`/g)].map(
  ([, path]) => path as string,
);

describe('the first-journey guide (docs/first-journey.md and docs/first-journey-run.md)', () => {
  it('names only paths that exist', () => {
    expect(namedPaths.length).toBeGreaterThan(10);
    const links = GUIDE_PAGES.flatMap((page) =>
      [...read(page).matchAll(/\]\(([^)#]+\.md)\)/g)].map(([, link]) =>
        join(dirname(page), link as string),
      ),
    );
    for (const path of [...namedPaths, ...links])
      expect(existsSync(join(repoRoot, path)), `${path} does not exist`).toBe(true);
  });

  it('shows code only as it is, word for word, in the files it names', () => {
    // Word for word, not indent for indent: the formatter lays out an excerpt as a whole file (it
    // dedents a nested one, and ends a cut-off statement with `;`).
    const words = (code: string) =>
      code
        .split('\n')
        .map((line) => line.trim())
        .join('\n')
        .replace(/;?\s*$/, '');
    const files = namedPaths.filter((path) => /\.ts$/.test(path)).map((path) => words(read(path)));
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map(([, code]) => code as string);
    expect(blocks.length).toBeGreaterThan(5);
    for (const block of blocks)
      expect(
        files.some((file) => file.includes(words(block))),
        `not found as it is in any file the guide names:\n${block}`,
      ).toBe(true);
  });

  it('runs only npm scripts that exist', () => {
    const scripts = Object.keys(JSON.parse(read('package.json')).scripts);
    const used = [...guide.matchAll(/npm run ([\w:-]+)/g)].map(([, name]) => name);
    expect(used).toContain('journeys:check');
    for (const name of used) expect(scripts).toContain(name);
  });
});
