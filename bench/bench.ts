import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { chooseBackend, NODE_BACKENDS, type NodeBackendName } from '../app/engine/backend';
import { censusColumns, splitFor, type CensusColumns } from './census-data';
import { CSV_COLUMNS, readAll, readIsolated, writeCensusCsv, type GeneratedCsv, type ReadResult } from './csv-ingest';
import { compiledMmoe, EXPERT_LAYOUTS, handWrittenMmoe, type BenchModel } from './models';
import { BENCH_TRAIN, headOf, kernelsPerStep, ratio, timeContenders, type Contender, type Ratio, type Timing, type TimingPlan } from './training';

export interface TrainingPlan extends TimingPlan {
  /** Rows of the training split timed on this backend (the first rows of the data set). */
  rows: number;
}

export interface BenchConfig {
  /** Backends to try, in this order; those that cannot start are reported as skipped. */
  backends: readonly NodeBackendName[];
  /** Rows of synthetic encoded census data generated once and shared by every backend. */
  dataRows: number;
  plans: Record<NodeBackendName, TrainingPlan>;
  /** Rows of the CSV ingestion test; 0 skips it. */
  csvRows: number;
  /** Read the CSV in a child process (its maxRSS is the read's own) or in this one (tests). */
  csvReader: 'child' | 'in-process';
  seed: number;
}

/**
 * Sized for about 4 minutes on 2 cores: the plain-JS cpu backend trains ~1–2k samples/s here,
 * wasm ~4–8k. Many short rounds rather than a few long ones: the median of many is what stays
 * put when other processes come and go on a shared machine. The CSV part takes ~1.5 minutes.
 */
export const DEFAULT_CONFIG: BenchConfig = {
  // webgpu has its own check (bench/gpu.ts, `npm run bench -- --gpu`): here it would force a
  // software adapter on machines without a GPU and take minutes.
  backends: NODE_BACKENDS.filter((name) => name !== 'webgpu'),
  dataRows: 20_000,
  plans: {
    webgpu: { rows: 20_000, epochs: 1, repetitions: 7, warmupRows: 4096 },
    'node-gpu': { rows: 20_000, epochs: 1, repetitions: 7, warmupRows: 4096 },
    node: { rows: 20_000, epochs: 1, repetitions: 7, warmupRows: 4096 },
    wasm: { rows: 8192, epochs: 1, repetitions: 9, warmupRows: 2048 },
    cpu: { rows: 4096, epochs: 1, repetitions: 6, warmupRows: 1024 },
  },
  csvRows: 1_000_000,
  csvReader: 'child',
  seed: 7,
};

/** The contenders: the compiled template, the hand-written model, and its stacked-expert variants. */
export const CONTENDERS = ['compiled', ...EXPERT_LAYOUTS] as const;
export type ContenderId = (typeof CONTENDERS)[number];

export function buildContender(id: ContenderId, seed: number): BenchModel {
  return id === 'compiled' ? compiledMmoe(seed) : handWrittenMmoe(seed, id);
}

export const RATIOS = {
  'compiled/hand-written': ['compiled', 'separate'],
  'stacked-matmul/separate': ['stacked-matmul', 'separate'],
  'stacked-bmm/separate': ['stacked-bmm', 'separate'],
} as const satisfies Record<string, readonly [ContenderId, ContenderId]>;
export type RatioName = keyof typeof RATIOS;

export type BackendResult =
  | { backend: NodeBackendName; status: 'skipped'; reason: string }
  | {
      backend: NodeBackendName;
      status: 'ok';
      tfjsBackend: string;
      flags: Record<string, boolean>;
      plan: TrainingPlan;
      parameters: Record<ContenderId, number>;
      /** Kernels per training step (forward, backward, adam), after the timed rounds. */
      kernelsPerStep: Record<ContenderId, number>;
      samplesPerSecond: Record<ContenderId, Timing>;
      /** compiled vs hand-written (separate experts), and each stacked layout vs separate. */
      ratios: Record<RatioName, Ratio>;
      seconds: number;
    };

export interface CsvResult {
  generated: GeneratedCsv;
  /** Where the reads ran: 'child' means a fresh process each, so maxRSS is the read's own. */
  reader: BenchConfig['csvReader'];
  plain: ReadResult;
  gzip: ReadResult;
}

export interface BenchResults {
  date: string;
  node: string;
  tfjs: string;
  cpu: string;
  cores: number;
  platform: string;
  /** os.loadavg() at start and end: other processes on the machine skew the figures. */
  loadAverage: { start: number[]; end: number[] };
  training: {
    dataRows: number;
    batchSize: number;
    optimizer: string;
    learningRate: number;
    backends: BackendResult[];
  };
  csv?: CsvResult;
  seconds: number;
}

/** Runs the whole bench; `log` gets progress lines. The CSV part runs first so its maxRSS is its own. */
export async function runBench(config: BenchConfig, log: (line: string) => void): Promise<BenchResults> {
  const started = performance.now();
  const loadStart = os.loadavg();
  const csv = config.csvRows > 0 ? await benchCsv(config.csvRows, config.seed, config.csvReader, log) : undefined;
  log(`generating ${config.dataRows} rows of encoded census-like data (32 ids of vocab 64, 7 floats, 2 binary labels)`);
  const data = censusColumns(config.dataRows, config.seed);
  const backends: BackendResult[] = [];
  for (const backend of config.backends) backends.push(await benchBackend(backend, config.plans[backend], data, config.seed, log));
  return {
    date: new Date().toISOString(),
    node: process.version,
    tfjs: tf.version.tfjs,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: { start: loadStart, end: os.loadavg() },
    training: {
      dataRows: config.dataRows,
      batchSize: BENCH_TRAIN.batchSize,
      optimizer: BENCH_TRAIN.optimizer,
      learningRate: BENCH_TRAIN.learningRate,
      backends,
    },
    ...(csv ? { csv } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}

async function benchBackend(
  backend: NodeBackendName,
  plan: TrainingPlan,
  data: CensusColumns,
  seed: number,
  log: (line: string) => void,
): Promise<BackendResult> {
  const choice = await chooseBackend(backend);
  if ('error' in choice) {
    log(`${backend}: skipped — ${choice.error}`);
    return { backend, status: 'skipped', reason: choice.error };
  }
  const started = performance.now();
  log(`${backend}: training ${plan.rows} rows × ${plan.epochs} epoch(s), ${plan.repetitions} timed rounds after a ${plan.warmupRows}-row warm-up`);
  // Models are built after the backend is selected so their weights live on it.
  const contenders: Contender[] = CONTENDERS.map((id) => {
    const entry = buildContender(id, seed);
    return { id, entry, split: headOf(splitFor(data, entry), plan.rows) };
  });
  try {
    const timings = await timeContenders(contenders, plan, log);
    const kernels: Partial<Record<ContenderId, number>> = {};
    for (const c of contenders) kernels[c.id as ContenderId] = await kernelsPerStep(c.entry, c.split);
    const timing = (id: ContenderId): Timing => {
      const t = timings.get(id);
      if (!t) throw new Error(`Bug: no timing for ${id}`);
      return t;
    };
    return {
      backend,
      status: 'ok',
      tfjsBackend: choice.tfjsName,
      flags: await backendFlags(backend),
      plan,
      parameters: Object.fromEntries(contenders.map((c) => [c.id, c.entry.model.countParams()])) as Record<ContenderId, number>,
      kernelsPerStep: kernels as Record<ContenderId, number>,
      samplesPerSecond: Object.fromEntries(CONTENDERS.map((id) => [id, timing(id)])) as Record<ContenderId, Timing>,
      ratios: Object.fromEntries(Object.entries(RATIOS).map(([name, [a, b]]) => [name, ratio(timing(a), timing(b))])) as Record<RatioName, Ratio>,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    for (const c of contenders) c.entry.model.dispose();
  }
}

/** What the wasm backend runs with (SIMD, threads): it changes its speed a lot. */
async function backendFlags(backend: NodeBackendName): Promise<Record<string, boolean>> {
  if (backend !== 'wasm') return {};
  const flags: Record<string, boolean> = {};
  for (const flag of ['WASM_HAS_SIMD_SUPPORT', 'WASM_HAS_MULTITHREAD_SUPPORT']) {
    try {
      flags[flag] = Boolean(await tf.env().getAsync(flag));
    } catch {
      // Unregistered flag (older wasm build): leave it out rather than guess.
    }
  }
  return flags;
}

async function benchCsv(rows: number, seed: number, reader: BenchConfig['csvReader'], log: (line: string) => void): Promise<CsvResult> {
  const read = reader === 'child' ? readIsolated : readAll;
  const dir = await mkdtemp(join(os.tmpdir(), 'towerflow-bench-'));
  const plainFile = join(dir, 'census.csv');
  const gzipFile = join(dir, 'census.csv.gz');
  const removeOnSignal = () => {
    void rm(dir, { recursive: true, force: true }).finally(() => process.exit(130));
  };
  process.once('SIGINT', removeOnSignal);
  try {
    log(`csv: writing ${rows} rows × ${CSV_COLUMNS.length} columns to ${dir} (plain and gzip)`);
    const generated = await writeCensusCsv(plainFile, gzipFile, rows, seed);
    log(`csv: wrote ${mb(generated.bytes)} (${mb(generated.gzipBytes)} gzip) in ${generated.seconds.toFixed(1)} s; reading plain`);
    const plain = await read(plainFile);
    log(`csv: plain ${Math.round(plain.rowsPerSecond)} rows/s; reading gzip`);
    const gzip = await read(gzipFile);
    log(`csv: gzip ${Math.round(gzip.rowsPerSecond)} rows/s`);
    for (const read of [plain, gzip]) {
      if (read.rows !== rows) throw new Error(`csv: read ${read.rows} rows, wrote ${rows}`);
    }
    return { generated, reader, plain, gzip };
  } finally {
    process.removeListener('SIGINT', removeOnSignal);
    await rm(dir, { recursive: true, force: true });
  }
}

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
