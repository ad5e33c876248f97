import { execFile, fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { censusFile, type CensusFile } from './census-file';
import { summariseProfile, type CpuProfile, type ProfileSummary } from './cpuprofile-top';
import { CENSUS_BINDING, DATA_MODES, MODE_NOTES, READY_SPLIT, isReadyMode, runStep, type DataMode, type ReadyDigest, type StepResult } from './data-ready';
import { loadAverage } from './torch-peer';

/**
 * The data bench (issue #22 goal 1): Towerflow's "ready to train" on a ≥ 500k-row census file
 * against pandas' read_csv plus the same encoding, rounds interleaved (the side that starts
 * alternates), plain and gzip, each run in a fresh process with its peak RSS. Under it, the ladder
 * of baselines on the same file (bytes, lines, a byte scan, csv-parse, the app's table rows): what
 * each layer costs, i.e. the ceiling a reader rewrite can reach. A "second run" of Towerflow in a
 * fresh process on the same file is the figure the encoded-data cache (goal 2) will move; today it
 * costs what the first does.
 */
export interface DataBenchConfig {
  rows: number;
  rounds: number;
  /** Run pandas (scripts/python-env.sh's .venv-torch); off in the smoke test. */
  pandas: boolean;
  /** Also pandas with engine="pyarrow", once per round (an extra figure, not the goal's yardstick). */
  pyarrow: boolean;
  gzip: boolean;
  baselines: boolean;
  /** Profile one extra Towerflow run with --cpu-prof and keep the top self-time functions. */
  profile: boolean;
  /** Each step in a forked process (its own maxRSS) or in this one (tests: no tsx loader in vitest's workers). */
  runner: 'child' | 'in-process';
}

export const DEFAULT_DATA_CONFIG: DataBenchConfig = { rows: 500_000, rounds: 3, pandas: true, pyarrow: true, gzip: true, baselines: true, profile: false, runner: 'child' };
export const QUICK_DATA_CONFIG: DataBenchConfig = { ...DEFAULT_DATA_CONFIG, rows: 20_000, rounds: 1 };

export interface PandasRun {
  rows: number;
  seconds: number;
  readSeconds: number;
  rowsPerSecond: number;
  maxRss: number;
  engine: string;
  pandas: string;
  numpy: string;
  python: string;
  digest: ReadyDigest;
}

export interface DataRound {
  variant: 'plain' | 'gzip';
  round: number;
  towerflow: StepResult;
  /** Towerflow again in a fresh process (goal 2's cache figure); plain rounds only. */
  second?: StepResult;
  pandas?: PandasRun;
  pyarrow?: PandasRun;
  /** Towerflow rows/s ÷ pandas rows/s in this round. */
  ratio?: number;
  /** Where the digests differ (empty: the two did the same work). */
  mismatches: string[];
  loadAverage: string;
}

export interface DataBenchResult {
  date: string;
  machine: { cpus: number; model: string; memory: number; node: string };
  file: CensusFile;
  config: DataBenchConfig;
  pandasStatus: string;
  rounds: DataRound[];
  summary: Record<'plain' | 'gzip', { towerflow: number; pandas?: number; pyarrow?: number; ratio?: number; pairedRatio?: number; secondOverFirst?: number; towerflowMaxRss: number; pandasMaxRss?: number } | undefined>;
  baselines: StepResult[];
  profile?: ProfileSummary;
  loadAverage: { start: string; end: string };
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function runDataBench(config: DataBenchConfig, log: (line: string) => void): Promise<DataBenchResult> {
  const startLoad = loadAverage();
  log(`data: load average ${startLoad}; making the ${config.rows}-row census file`);
  const file = await censusFile(config.rows);
  log(`data: ${file.plain} (${mib(file.bytes)}, gzip ${mib(file.gzipBytes)})${file.seconds > 0 ? `, written in ${file.seconds.toFixed(1)} s` : ', reused'}`);
  const step = config.runner === 'child' ? stepInChild : runStep;
  const python = config.pandas ? await pandasPython(log) : { skipped: 'off (--no-pandas)' };
  const pandasStatus = 'python' in python ? 'ok' : python.skipped;

  const baselines: StepResult[] = [];
  if (config.baselines) {
    const plan: [DataMode, string][] = [['bytes', file.plain], ...(config.gzip ? ([['bytes', file.gzip]] as [DataMode, string][]) : [])];
    for (const mode of DATA_MODES) if (!isReadyMode(mode) && mode !== 'bytes') plan.push([mode, file.plain]);
    for (const [mode, path] of plan) {
      const result = await step(mode, path);
      baselines.push(result);
      log(`data: baseline ${mode.padEnd(9)} ${path.endsWith('.gz') ? 'gzip ' : 'plain'} ${describeStep(result)}`);
    }
  }

  const rounds: DataRound[] = [];
  const variants: ('plain' | 'gzip')[] = config.gzip ? ['plain', 'gzip'] : ['plain'];
  for (let round = 0; round < config.rounds; round++) {
    for (const variant of variants) {
      const path = variant === 'plain' ? file.plain : file.gzip;
      let towerflow: StepResult | undefined;
      let second: StepResult | undefined;
      let pandas: PandasRun | undefined;
      let pyarrow: PandasRun | undefined;
      const sides = [
        async () => {
          towerflow = await step('ready', path);
          if (variant === 'plain') {
            // The second run of goal 2: the first fills an emptied cache, a fresh process then hits it.
            await step('cache-fill', path);
            second = await step('ready-cached', path);
          }
        },
        async () => {
          if ('python' in python) pandas = await runPandas(python.python, path, 'c');
        },
      ];
      for (const side of round % 2 === 0 ? sides : sides.reverse()) await side();
      if ('python' in python && config.pyarrow) {
        pyarrow = await runPandas(python.python, path, 'pyarrow').catch((error: unknown) => {
          log(`data: pandas engine="pyarrow" failed: ${(error instanceof Error ? error.message : String(error)).trim().split('\n').at(-1) ?? ''}`);
          return undefined;
        });
      }
      const t = towerflow as StepResult | undefined;
      if (!t) throw new Error('the Towerflow step did not run');
      const p = pandas as PandasRun | undefined;
      const mismatches = p && t.digest ? compareDigests(t.digest, p.digest) : [];
      const entry: DataRound = {
        variant,
        round: round + 1,
        towerflow: t,
        ...(second ? { second } : {}),
        ...(p ? { pandas: p, ratio: t.rowsPerSecond / p.rowsPerSecond } : {}),
        ...(pyarrow ? { pyarrow } : {}),
        mismatches,
        loadAverage: loadAverage(),
      };
      rounds.push(entry);
      const s = second as StepResult | undefined;
      log(
        `data: round ${round + 1}/${config.rounds} ${variant.padEnd(5)} Towerflow ${krows(t.rowsPerSecond)} (${t.seconds.toFixed(1)} s, RSS ${mib(t.maxRss)})` +
          (s ? `, second run ${krows(s.rowsPerSecond)}` : '') +
          (p ? `; pandas ${krows(p.rowsPerSecond)} (${p.seconds.toFixed(1)} s, RSS ${mib(p.maxRss)}); ratio ${(entry.ratio ?? NaN).toFixed(3)}` : '') +
          (pyarrow ? `; pandas[pyarrow] ${krows(pyarrow.rowsPerSecond)}` : '') +
          ` (load ${entry.loadAverage})`,
      );
      if (mismatches.length > 0) log(`data: WARNING the pandas peer's encoding differs from Towerflow's: ${mismatches.slice(0, 5).join('; ')}`);
    }
  }

  const profile = config.profile && config.runner === 'child' ? await profileReady(file.plain, log) : undefined;
  const summary = {
    plain: summarise(rounds.filter((r) => r.variant === 'plain')),
    gzip: summarise(rounds.filter((r) => r.variant === 'gzip')),
  };
  const cpu = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? '?', memory: os.totalmem(), node: process.version },
    file,
    config,
    pandasStatus,
    rounds,
    summary,
    baselines,
    ...(profile ? { profile } : {}),
    loadAverage: { start: startLoad, end: loadAverage() },
  };
}

function summarise(rounds: DataRound[]): DataBenchResult['summary']['plain'] {
  if (rounds.length === 0) return undefined;
  const tf = median(rounds.map((r) => r.towerflow.rowsPerSecond));
  const pd = rounds.flatMap((r) => (r.pandas ? [r.pandas.rowsPerSecond] : []));
  const pa = rounds.flatMap((r) => (r.pyarrow ? [r.pyarrow.rowsPerSecond] : []));
  const seconds = rounds.flatMap((r) => (r.second ? [r.second.seconds / r.towerflow.seconds] : []));
  const pdRss = rounds.flatMap((r) => (r.pandas ? [r.pandas.maxRss] : []));
  return {
    towerflow: tf,
    towerflowMaxRss: Math.max(...rounds.map((r) => r.towerflow.maxRss)),
    ...(pd.length ? { pandas: median(pd), ratio: tf / median(pd), pairedRatio: median(rounds.flatMap((r) => (r.ratio !== undefined ? [r.ratio] : []))), pandasMaxRss: Math.max(...pdRss) } : {}),
    ...(pa.length ? { pyarrow: median(pa) } : {}),
    ...(seconds.length ? { secondOverFirst: median(seconds) } : {}),
  };
}

/** Exact for counts and code sums; 1e-9 relative for mean/std; float32 rounding room for the sums of standardised values. */
export function compareDigests(a: ReadyDigest, b: ReadyDigest): string[] {
  const out: string[] = [];
  if (a.train !== b.train || a.valid !== b.valid) out.push(`rows ${a.train}/${a.valid} vs ${b.train}/${b.valid}`);
  for (const [column, x] of Object.entries(a.categorical)) {
    const y = b.categorical[column];
    if (!y || x.vocab !== y.vocab || x.trainSum !== y.trainSum || x.validSum !== y.validSum) out.push(`${column}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  }
  for (const [column, x] of Object.entries(a.numeric)) {
    const y = b.numeric[column];
    const close = (u: number, v: number, rel: number, abs: number) => Math.abs(u - v) <= abs + rel * Math.abs(v);
    if (!y || !close(x.mean, y.mean, 1e-9, 1e-12) || !close(x.std, y.std, 1e-9, 1e-12) || !close(x.trainSum, y.trainSum, 0, 1e-4 * a.train)) out.push(`${column}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  }
  for (const [name, x] of Object.entries(a.labels)) {
    const y = b.labels[name];
    if (!y || x.train !== y.train || x.valid !== y.valid) out.push(`label ${name}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  }
  return out;
}

function stepInChild(mode: DataMode, file: string, extra: string[] = []): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(HERE, 'data-child.ts'), [mode, file, ...extra], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: StepResult | undefined;
    child.once('message', (message) => (result = message as StepResult));
    child.once('error', reject);
    child.once('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`the data bench's ${mode} step exited with ${code}`))));
  });
}

/** One more Towerflow run, its timed part profiled (main thread); the top self-time functions and files. */
async function profileReady(file: string, log: (line: string) => void): Promise<ProfileSummary> {
  const dir = await mkdtemp(join(os.tmpdir(), 'towerflow-prof-'));
  try {
    log('data: profiling one Towerflow run (the inspector\'s CPU profiler around prepareData)');
    const path = join(dir, 'ready.cpuprofile');
    await stepInChild('ready', file, [`--profile=${path}`]);
    return summariseProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, 25);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const exec = promisify(execFile);

/** The venv's python with pandas (scripts/python-env.sh makes .venv-torch the first time: minutes). */
async function pandasPython(log: (line: string) => void): Promise<{ python: string } | { skipped: string }> {
  log('data: the pandas peer\'s python (scripts/python-env.sh; the first time it installs torch, numpy, pandas, pyarrow: minutes)');
  try {
    const { stdout } = await exec('bash', [join(ROOT, 'scripts', 'python-env.sh')], { maxBuffer: 1 << 20, timeout: 30 * 60_000 });
    const python = stdout.trim().split('\n').at(-1);
    return python ? { python } : { skipped: 'scripts/python-env.sh printed no python' };
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    return { skipped: `scripts/python-env.sh failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-2).join(' / ')}` };
  }
}

async function runPandas(python: string, file: string, engine: 'c' | 'pyarrow'): Promise<PandasRun> {
  const args = [join(HERE, 'peer', 'pandas_ingest.py'), CENSUS_BINDING, file, '--engine', engine, '--validation', String(READY_SPLIT.validation), '--seed', String(READY_SPLIT.seed)];
  const { stdout } = await exec(python, args, { maxBuffer: 1 << 22 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as PandasRun;
}

export function formatDataReport(r: DataBenchResult): string {
  const lines = [
    `Data bench: ready to train on census-income repeated to ${r.file.rows.toLocaleString('en-US')} rows (${mib(r.file.bytes)} plain, ${mib(r.file.gzipBytes)} gzip), ` +
      `MMoE template inputs, examples/census-income.binding.json, validation ${READY_SPLIT.validation}; ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}`,
    `  load average at start ${r.loadAverage.start}, at end ${r.loadAverage.end}; pandas peer: ${r.pandasStatus}`,
  ];
  if (r.baselines.length > 0) {
    lines.push('  baselines (one pass each, fresh process):   rows/s      MB/s   max RSS');
    for (const b of r.baselines) {
      const mbs = b.bytes !== undefined ? (b.bytes / 1e6 / b.seconds).toFixed(0) : ((r.file.bytes / 1e6 / b.seconds).toFixed(0));
      lines.push(`    ${`${b.mode} ${b.file.endsWith('.gz') ? '(gzip)' : '(plain)'}`.padEnd(20)} ${(b.rows ? krows(b.rowsPerSecond) : '-').padStart(14)} ${mbs.padStart(8)} ${mib(b.maxRss).padStart(10)}   ${MODE_NOTES[b.mode]}`);
    }
  }
  lines.push('  round variant | Towerflow rows/s (s, RSS)        | second run | pandas rows/s (s, RSS)          | ratio  | pandas[pyarrow] | load');
  for (const x of r.rounds) {
    lines.push(
      `  ${String(x.round).padStart(5)} ${x.variant.padEnd(7)} | ${krows(x.towerflow.rowsPerSecond)} (${x.towerflow.seconds.toFixed(1)} s, ${mib(x.towerflow.maxRss)}) | ${x.second ? krows(x.second.rowsPerSecond) : '-'} | ` +
        `${x.pandas ? `${krows(x.pandas.rowsPerSecond)} (${x.pandas.seconds.toFixed(2)} s, ${mib(x.pandas.maxRss)})` : '-'} | ${x.ratio !== undefined ? x.ratio.toFixed(3) : '-'} | ${x.pyarrow ? krows(x.pyarrow.rowsPerSecond) : '-'} | ${x.loadAverage}` +
        (x.mismatches.length ? `  DIGESTS DIFFER: ${x.mismatches[0]}` : ''),
    );
  }
  for (const variant of ['plain', 'gzip'] as const) {
    const s = r.summary[variant];
    if (!s) continue;
    lines.push(
      `  ${variant}: Towerflow ${krows(s.towerflow)} (median), pandas ${s.pandas !== undefined ? krows(s.pandas) : '-'}, ratio ${s.ratio?.toFixed(3) ?? '-'} (paired ${s.pairedRatio?.toFixed(3) ?? '-'}; goal ≥ 1.0, stretch ≥ 2)` +
        (s.secondOverFirst !== undefined ? `, second run / first ${s.secondOverFirst.toFixed(2)} (goal 2: ≤ 0.20)` : '') +
        `, max RSS Towerflow ${mib(s.towerflowMaxRss)}${s.pandasMaxRss !== undefined ? ` / pandas ${mib(s.pandasMaxRss)}` : ''}`,
    );
  }
  if (r.profile) {
    lines.push(`  profile of one Towerflow run (${r.profile.totalMs.toFixed(0)} ms sampled): top self time`);
    for (const f of r.profile.functions.slice(0, 25)) lines.push(`    ${f.percent.toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`);
  }
  return lines.join('\n');
}

function describeStep(s: StepResult): string {
  const rate = s.rows ? `${krows(s.rowsPerSecond)}, ` : '';
  const bytes = s.bytes !== undefined ? `${(s.bytes / 1e6 / s.seconds).toFixed(0)} MB/s, ` : '';
  return `${rate}${bytes}${s.seconds.toFixed(2)} s, RSS ${mib(s.maxRss)}`;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const krows = (perSecond: number): string => `${(perSecond / 1000).toFixed(1)}k rows/s`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
