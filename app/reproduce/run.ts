import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseBackend, describeChoice } from '../engine/backend';
import { censusStudy } from './census';
import { dinStudy } from './din';
import { esmmStudy } from './esmm';
import { mmoeSyntheticStudy } from './mmoe-synthetic';
import { outcomeText } from './stats';
import type { Finding, Study } from './study';

export function allStudies(root: string): Study[] {
  return [mmoeSyntheticStudy, censusStudy(root), dinStudy(root), esmmStudy(root)];
}

export interface ReproduceOptions {
  root: string;
  dataDir: string;
  outDir: string;
  quick: boolean;
  only?: string[];
  log(line: string): void;
}

/** Runs the studies and writes `<outDir>/results.md`, its SVG figures under img/, and results.json. */
export async function reproduce(options: ReproduceOptions): Promise<{ file: string; studies: string[] } | { error: string }> {
  const studies = allStudies(options.root).filter((s) => !options.only?.length || options.only.includes(s.id));
  const unknown = options.only?.filter((id) => !allStudies(options.root).some((s) => s.id === id)) ?? [];
  if (unknown.length) return { error: `unknown study ${unknown.map((u) => `"${u}"`).join(', ')}; studies: ${allStudies(options.root).map((s) => s.id).join(', ')}` };
  const backend = await chooseBackend();
  if ('error' in backend) return { error: backend.error };
  options.log(describeChoice(backend));
  const workDir = await mkdtemp(join(tmpdir(), 'towerflow-reproduce-'));
  const sections: string[] = [];
  const raw: Record<string, unknown> = {};
  const findings: { study: string; finding: Finding }[] = [];
  const started = Date.now();
  try {
    await mkdir(join(options.outDir, 'img'), { recursive: true });
    for (const study of studies) {
      const t0 = Date.now();
      options.log(`${study.id}: ${study.title}`);
      const result = await study.run({ quick: options.quick, dataDir: options.dataDir, workDir, log: options.log });
      for (const figure of result.figures) await writeFile(join(options.outDir, 'img', figure.file), figure.svg);
      const minutes = ((Date.now() - t0) / 60_000).toFixed(1);
      sections.push(`## ${study.title}\n\n${result.markdown}\n\n_Ran in ${minutes} min._`);
      raw[study.id] = result.table;
      for (const finding of result.findings ?? []) findings.push({ study: study.title.replace(/ \(.*$/, ''), finding });
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const header = [
    '# Towerflow reproduces the papers',
    '',
    `Every number below comes from one run of \`npm run reproduce\`${options.quick ? ' --quick (tiny sizes: a smoke test, not evidence)' : ''} on ${new Date().toISOString().slice(0, 10)}, through the same compile, data and training code the app uses (${describeChoice(backend)}; Node ${process.version}; ${Math.round((Date.now() - started) / 60_000)} min in all). Seeds and splits are stated with each table; nothing was tuned on a test split. The raw per-run figures are in \`results.json\`.`,
  ].join('\n');
  const summary = findings.length
    ? [
        '## The findings at a glance',
        '',
        'Each claim is judged on paired differences (same data, same seed): **reproduced** when the 95 % confidence interval lies wholly on the paper\'s side of zero, **not reproduced** otherwise (within seed noise, or significantly the other way). The details are in each section.',
        '',
        '| study | the paper\'s claim | outcome | paired difference, mean ± SE (95 % CI; tests) |',
        '|---|---|---|---|',
        ...findings.map(({ study, finding }) => `| ${study} | ${finding.claim} | ${outcomeText[finding.outcome]} | ${finding.evidence} |`),
      ].join('\n')
    : '';
  const file = join(options.outDir, 'results.md');
  await writeFile(file, `${[header, summary, ...sections].filter(Boolean).join('\n\n')}\n`);
  await writeFile(join(options.outDir, 'results.json'), `${JSON.stringify({ quick: options.quick, backend: backend.name, studies: raw }, null, 2)}\n`);
  return { file, studies: studies.map((s) => s.id) };
}
