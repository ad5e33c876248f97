import * as tf from '@tensorflow/tfjs';
import type { EncodedSplit } from '../app/train/encoded';
import { trainModel, type TrainOptions } from '../app/train/session';
import type { Graph } from '../app/graph/schema';
import { ReplicaPool } from '../app/train/replica-pool';
import type { Replicas } from '../app/train/replicas';
import type { NodeBackendName } from '../app/engine/backend';
import type { BenchModel } from './models';

/** The optimiser settings every bench run trains with (the issue's: adam, batch 256). */
export const BENCH_TRAIN: Omit<TrainOptions, 'epochs'> = { optimizer: 'adam', learningRate: 0.001, batchSize: 256, seed: 42 };

export interface TrainRun {
  samplesPerSecond: number;
  seconds: number;
  /** User + system CPU seconds of this process during the run. */
  cpuSeconds: number;
  /** Samples per CPU second: steadier than samples/s when other processes share the cores. */
  samplesPerCpuSecond: number;
  finalLoss: number;
}

/**
 * One call of the app's own training loop, so compiled and hand-written models are timed by exactly
 * the same code. samples/s is the loop's own figure (rows trained / seconds in the loop).
 */
export async function trainOnce(entry: BenchModel, split: EncodedSplit, epochs: number, batchSize = BENCH_TRAIN.batchSize, replicas?: Replicas): Promise<TrainRun> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await trainModel(entry.model, entry, { train: split }, { ...BENCH_TRAIN, batchSize, epochs, progressIntervalMs: 60_000 }, replicas ? { replicas } : {});
  const used = process.cpuUsage(cpu);
  if (result.stopReason !== 'completed') throw new Error(`training stopped early: ${result.message}`);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return {
    samplesPerSecond: result.samplesPerSecond,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds,
    samplesPerCpuSecond: (split.rows * epochs) / Math.max(cpuSeconds, 1e-9),
    finalLoss: result.history.at(-1)?.train.loss ?? Number.NaN,
  };
}

/** Training threads of the bench's Towerflow runs (`--threads=N`): this one and N − 1 replicas (app/train/replicas.ts). */
let benchThreads = 1;
export const setBenchThreads = (threads: number) => void (benchThreads = threads);
export const getBenchThreads = () => benchThreads;

/**
 * The replicas for a compiled graph when the bench trains on several threads (undefined on one);
 * samples/s then counts the work of every thread, as PyTorch's figure counts its thread pool's.
 */
export async function benchReplicas(recipe: { graph: Graph; seed: number }, model: tf.LayersModel, backend: NodeBackendName): Promise<ReplicaPool | undefined> {
  if (benchThreads <= 1) return undefined;
  const pool = await ReplicaPool.start({ graph: recipe.graph, seed: recipe.seed, backend }, benchThreads - 1, model.weights.map((w) => w.read().size));
  if ('error' in pool) throw new Error(`the bench's ${benchThreads} training threads could not start: ${pool.error}`);
  return pool;
}

/**
 * Kernels one training step runs (forward, backward, adam update), counted with tf.profile as the
 * difference between a two-batch and a one-batch epoch, so the per-epoch work (weight snapshot,
 * shuffling) cancels out. On wasm, where each kernel is cheap, this count is most of the cost.
 */
export async function kernelsPerStep(entry: BenchModel, split: EncodedSplit, batchSize = BENCH_TRAIN.batchSize): Promise<number> {
  const count = async (rows: number) => (await tf.profile(async () => void (await trainOnce(entry, headOf(split, rows), 1, batchSize)))).kernels.length;
  const one = await count(batchSize);
  const two = await count(2 * batchSize);
  return two - one;
}

/** The first `rows` rows of a split, as views (no copy). */
export function headOf(split: EncodedSplit, rows: number): EncodedSplit {
  const n = Math.min(rows, split.rows);
  const inputs: EncodedSplit['inputs'] = {};
  for (const [name, values] of Object.entries(split.inputs)) inputs[name] = values.subarray(0, (values.length / split.rows) * n);
  const labels: EncodedSplit['labels'] = {};
  for (const [name, values] of Object.entries(split.labels)) labels[name] = values.subarray(0, n);
  return { rows: n, inputs, labels };
}

export interface Contender {
  id: string;
  entry: BenchModel;
  split: EncodedSplit;
}

export interface TimingPlan {
  /** Rows of one warm-up run per contender (kernel set-up, first allocations, JIT). */
  warmupRows: number;
  epochs: number;
  repetitions: number;
}

export interface Timing {
  /** Median samples/s over the rounds. */
  median: number;
  min: number;
  max: number;
  /** Median samples per CPU second. */
  medianPerCpuSecond: number;
  /** In round order, so runs of different contenders with the same index ran back to back. */
  runs: TrainRun[];
}

/** How much faster `a` trains than `b`, three ways. */
export interface Ratio {
  /** median samples/s of a / median samples/s of b. */
  ofMedians: number;
  /** Median over the rounds of a's samples/s / b's in the same round: robust to slow spells. */
  pairedMedian: number;
  /** median samples per CPU second of a / of b: robust to other processes taking the cores. */
  perCpuSecond: number;
}

export function ratio(a: Timing, b: Timing): Ratio {
  const paired = a.runs.map((run, i) => run.samplesPerSecond / (b.runs[i]?.samplesPerSecond ?? Number.NaN));
  return { ofMedians: a.median / b.median, pairedMedian: median(paired), perCpuSecond: a.medianPerCpuSecond / b.medianPerCpuSecond };
}

/**
 * Warms every contender up, then times `repetitions` rounds. Within a round every contender runs
 * once, and the starting contender rotates between rounds: a slow spell of the machine (another
 * process, a GC) then hits all contenders alike instead of whichever happened to run during it,
 * which keeps the ratios between them honest on a shared 2-core box.
 */
export async function timeContenders(contenders: readonly Contender[], plan: TimingPlan, log: (line: string) => void): Promise<Map<string, Timing>> {
  for (const c of contenders) await trainOnce(c.entry, headOf(c.split, plan.warmupRows), 1);
  const runs = new Map<string, TrainRun[]>(contenders.map((c) => [c.id, []]));
  for (let round = 0; round < plan.repetitions; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(round + k) % contenders.length];
      if (!c) continue;
      const run = await trainOnce(c.entry, c.split, plan.epochs);
      runs.get(c.id)?.push(run);
      const rates = `${Math.round(run.samplesPerSecond).toString().padStart(6)} samples/s, ${Math.round(run.samplesPerCpuSecond).toString().padStart(6)} per CPU s`;
      log(`  round ${round + 1}/${plan.repetitions} ${c.id.padEnd(15)} ${rates}, loss ${run.finalLoss.toFixed(4)}, ${tf.memory().numTensors} tensors`);
    }
  }
  return new Map(
    [...runs.entries()].map(([id, list]) => {
      const rates = list.map((r) => r.samplesPerSecond);
      const perCpu = median(list.map((r) => r.samplesPerCpuSecond));
      return [id, { median: median(rates), min: Math.min(...rates), max: Math.max(...rates), medianPerCpuSecond: perCpu, runs: list }];
    }),
  );
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
