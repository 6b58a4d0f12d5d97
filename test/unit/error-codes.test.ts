import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { type ErrorCode, errorCatalogue } from '../../src/errors/catalogue.js';
import { problemSlug } from '../../src/http/problem.js';
import { createProblemPages } from '../../src/http/problem-pages.js';

const root = new URL('../../', import.meta.url).pathname;
const sources = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entry.name === 'generated'
        ? []
        : sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );

// Where this code base names an error code: raising one, or a `code` it sets.
const NAMED = [
  /(?:businessFailure|stepError|journeyFailure|runFailure|HttpProblem|SubmissionRefused)\(\s*'(\w+)'/g,
  /\bcode(?:: | = )'(\w+)'/g,
  /params: \{ code: '(\w+)' \}/g,
];
// Codes of other vocabularies that pass through: zod's refinement issue, Node's parseArgs.
const FOREIGN = new Set(['custom']);

/** Every error code named in src/, journeys/ and workers/, with where it is named. */
function namedCodes(): Array<{ code: string; where: string }> {
  return ['src', 'journeys', 'workers'].flatMap(sources).flatMap((file) => {
    const text = readFileSync(join(root, file), 'utf8');
    return NAMED.flatMap((pattern) =>
      [...text.matchAll(pattern)].map((match) => ({
        code: match[1] as string,
        where: `${relative(root, join(root, file))}:${text.slice(0, match.index).split('\n').length}`,
      })),
    ).filter(({ code }) => !FOREIGN.has(code));
  });
}

describe('the error vocabulary (one catalogue, closed)', () => {
  it('names no code outside the catalogue anywhere in the code base, and no ERR_ style code of its own', () => {
    const named = namedCodes();
    expect(named.length).toBeGreaterThan(50);
    expect(named.filter(({ code }) => !Object.hasOwn(errorCatalogue, code))).toEqual([]);
    const errStyle = ['src', 'journeys', 'workers']
      .flatMap(sources)
      .filter((file) => /'ERR_(?!PARSE_ARGS)[A-Z_]+'/.test(readFileSync(join(root, file), 'utf8')));
    expect(errStyle).toEqual([]);
  });

  it('writes every code in one style: snake_case', () => {
    expect(
      Object.keys(errorCatalogue).filter((code) => !/^[a-z]+(_[a-z0-9]+)*$/.test(code)),
    ).toEqual([]);
  });

  it('has a problem page for every code of the catalogue', async () => {
    const app = express().use('/problems', createProblemPages());
    const server = app.listen(0);
    try {
      const { port } = server.address() as { port: number };
      const missing: string[] = [];
      for (const code of Object.keys(errorCatalogue) as ErrorCode[]) {
        const answer = await fetch(`http://127.0.0.1:${port}/problems/${problemSlug(code)}`, {
          headers: { accept: 'application/json' },
        });
        if (answer.status !== 200 || !(await answer.text()).includes(code)) missing.push(code);
      }
      expect(missing).toEqual([]);
    } finally {
      server.close();
    }
  });
});
