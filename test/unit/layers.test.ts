import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The house's floors, from the ground up: a folder may import its own floor's files and any floor
 * below, never one above or beside it. docs/layout.md names the same floors.
 */
const floors: string[][] = [
  ['src/db'],
  ['src/security', 'src/channels', 'src/errors'],
  ['src/sessions', 'src/analytics'],
  ['src/apps'],
  ['src/profile'],
  ['src/consent'],
  ['src/privacy'],
  ['src/oidc', 'src/social'],
  ['src/activities'],
  ['src/journey-kit'],
  ['journeys', 'src/run'],
  ['src/journey-registry', 'src/temporal-contract', 'src/temporal'],
  ['src/authoring', 'workers'],
  ['src/http'],
  ['src/runtime'],
  ['src/cli'],
];
const floorOf = new Map(floors.flatMap((folders, floor) => folders.map((f) => [f, floor])));
const folderOf = (file: string) =>
  [...floorOf.keys()]
    .filter((folder) => file.startsWith(`${folder}/`))
    .sort((a, b) => b.length - a.length)[0];

const sources = execFileSync('git', ['ls-files', 'src', 'workers', 'journeys'], {
  cwd: repoRoot,
  encoding: 'utf8',
})
  .split('\n')
  .filter((file) => /\.(ts|cjs)$/.test(file) && !file.startsWith('src/generated/'))
  .filter((file) => existsSync(join(repoRoot, file)));

/** Each source file's relative imports, as files of the tree (`.js` read as its `.ts`). */
const importsOf = new Map(
  sources.map((file) => {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(
      ([, spec]) => normalize(join(dirname(file), spec as string)).replace(/\.js$/, '.ts'),
    );
    return [file, targets] as const;
  }),
);

describe('the layers of the house', () => {
  it('files every source folder on a floor', () => {
    expect(sources.filter((file) => !folderOf(file))).toEqual([]);
  });

  it('has no import that runs up or sideways across floors', () => {
    const wrong: string[] = [];
    for (const [file, targets] of importsOf) {
      const from = folderOf(file) as string;
      for (const target of targets) {
        const to = folderOf(target);
        if (!to || to === from) continue;
        if ((floorOf.get(to) as number) >= (floorOf.get(from) as number))
          wrong.push(`${file} -> ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no import circle between files', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const target of importsOf.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of importsOf.keys()) visit(file, []);
    expect(circles).toEqual([]);
  });
});
