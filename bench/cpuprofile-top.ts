/**
 * Self time by function (and by file) from a V8 .cpuprofile (`node --cpu-prof`):
 *
 *   npx tsx bench/cpuprofile-top.ts PROFILE.cpuprofile [N]
 *
 * Self time of a node is the sum of the time deltas of the samples taken in it; nodes are grouped by
 * function name and source position, so one function reached by many paths counts once.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  functions: { name: string; where: string; ms: number; percent: number }[];
  files: { file: string; ms: number; percent: number }[];
}

export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const files = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    total += us;
    const file = shortUrl(frame.url);
    const where = file ? `${file}:${frame.lineNumber + 1}` : '';
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const group = file ? fileGroup(file) : name;
    files.set(group, (files.get(group) ?? 0) + us);
  }
  const pct = (us: number) => (100 * us) / total;
  return {
    totalMs: total / 1000,
    functions: [...functions.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, percent: pct(f.us) })),
    files: [...files].sort((a, b) => b[1] - a[1]).slice(0, top).map(([file, us]) => ({ file, ms: us / 1000, percent: pct(us) })),
  };
}

/** Paths from the repository (or node_modules package) on, node: internals as they are. */
function shortUrl(url: string): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) return path.slice(modules + 1);
  const repo = path.search(/\/(app|bench|scripts)\//);
  return repo !== -1 ? path.slice(repo + 1) : path;
}

/** node_modules/<package>/… counts as the package. */
function fileGroup(file: string): string {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  return m ? `node_modules/${m[1]}` : file;
}

export function formatProfile(s: ProfileSummary): string {
  const lines = [`${s.totalMs.toFixed(0)} ms sampled; top self time by function:`];
  for (const f of s.functions) lines.push(`${f.percent.toFixed(1).padStart(5)} % ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`);
  lines.push('', 'by file (or package):');
  for (const f of s.files) lines.push(`${f.percent.toFixed(1).padStart(5)} % ${f.ms.toFixed(0).padStart(7)} ms  ${f.file}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: cpuprofile-top.ts PROFILE.cpuprofile [N]');
    process.exitCode = 2;
  } else {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    console.log(formatProfile(summariseProfile(profile, Number(top ?? 25))));
  }
}
