// Summarises `.cpuprofile` files (from `npm run bench -- --profile DIR`) into buckets of self time:
// which package or project folder the CPU went to, per thread. `npx tsx bench/profile-summary.ts DIR`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function bucketOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`;
  // The workflow bundle: webpack names its modules inside one file, so attribute by function.
  if (url.includes('workflow-bundle') || url.startsWith('webpack'))
    return `(bundle) ${functionName}`;
  return relative(process.cwd(), url.replace(/^file:\/\//, ''))
    .split('/')
    .slice(0, 2)
    .join('/');
}

function summarise(file: string, top: number): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const buckets = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    if (!node || node.callFrame.functionName === '(idle)') return;
    const bucket = bucketOf(node.callFrame);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + ms);
    total += ms;
  });
  const lines = [`${relative(process.cwd(), file)}: busy ${total.toFixed(0)} ms`];
  for (const [bucket, ms] of [...buckets].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(
      `  ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${bucket}`,
    );
  return lines;
}

function profilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return profilesUnder(path);
    return entry.endsWith('.cpuprofile') ? [path] : [];
  });
}

const [dir = '.', top = '25'] = process.argv.slice(2);
for (const file of profilesUnder(dir).sort())
  console.log(`${summarise(file, Number(top)).join('\n')}\n`);
