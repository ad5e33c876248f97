import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { chooseBackend, type NodeBackendName } from '../app/engine/backend';
import { wasmThreads } from '../app/engine/wasm-threads';
import { censusColumns, splitFor } from './census-data';
import { compiledMmoe } from './models';
import { loadAverage, mmoeTrainingFlopsPerSample, peerPython, realCensus, TorchPeer, writePeerData, type PeerData, type PeerRound } from './torch-peer';
import { CENSUS_EMBEDDING_DIM } from '../scripts/template-definitions';
import { benchReplicas, BENCH_TRAIN, getBenchThreads, headOf, kernelsPerStep, median, trainOnce, type TrainRun } from './training';
import { sharedSplit } from '../app/train/replicas';
import type { Graph } from '../app/graph/schema';

/**
 * Towerflow against hand-written PyTorch on this machine: the census MMoE, the same encoded
 * training split, Adam, the same batch, rounds interleaved (the side that starts alternates) so a
 * slow spell of a shared machine hits both alike. Reported as ratios in the same run, never as
 * absolute goals: the figures move with the machine's load.
 */
export interface PeerBenchConfig {
  /** Towerflow's backend for the comparison (its best CPU backend here). */
  backend: NodeBackendName;
  batches: readonly number[];
  rounds: number;
  epochs: number;
  seed: number;
}

export const DEFAULT_PEER_CONFIG: PeerBenchConfig = { backend: 'wasm', batches: [512, 4096], rounds: 4, epochs: 1, seed: 7 };

export interface PeerBatchResult {
  batch: number;
  towerflow: number[];
  pytorch: number[];
  towerflowMedian: number;
  pytorchMedian: number;
  /** Towerflow / PyTorch, of the medians and the median of per-round ratios. */
  ratio: number;
  pairedRatio: number;
  kernelsPerStep: number;
  towerflowGflops: number;
  pytorchGflops: number;
  /** Peak RSS of each process after this batch's rounds, MiB (both live through every batch: a running maximum). */
  peakRssMiB: { towerflow: number; pytorch: number };
  loadAverage: string;
}

export type PeerBenchResult =
  | { status: 'skipped'; reason: string }
  | {
      status: 'ok';
      data: string;
      backend: string;
      /** Towerflow's training threads (bench --threads); absent in results from before it. */
      towerflowThreads?: number;
      /** Threads of the wasm backend's XNNPACK pool (bench --wasm-threads); absent in results from before it. */
      xnnpackThreads?: number;
      torch: string;
      threads: number;
      flopsPerSample: number;
      /** float32 1024² matMul GFLOP/s: PyTorch on 1 thread and on all, and tfjs on Towerflow's backend. */
      peak: { torch1: number; torchAll: number; tfjs: number };
      batches: PeerBatchResult[];
      note: string;
    };

export async function runPeerBench(config: PeerBenchConfig, log: (line: string) => void): Promise<PeerBenchResult> {
  log('PyTorch peer');
  const python = peerPython(log);
  if ('skipped' in python) return { status: 'skipped', reason: python.skipped };
  const choice = await chooseBackend(config.backend);
  if ('error' in choice) return { status: 'skipped', reason: choice.error };
  const data = (await realCensus()) ?? syntheticCensus(config.seed);
  log(`  data: ${data.source}`);
  // In shared memory, where training replicas (--threads) gather their own rows; one thread reads it the same.
  const split = sharedSplit(data.split);
  const folder = await mkdtemp(join(os.tmpdir(), 'towerflow-peer-'));
  const peer = await (async () => {
    await writePeerData(folder, data, BENCH_TRAIN.learningRate);
    return TorchPeer.start(python.python, folder);
  })();
  try {
    log(`  PyTorch ${peer.version}, ${peer.threads} threads, OMP_WAIT_POLICY=PASSIVE (its default spin-waiting collapses on a shared machine)`);
    const peak = await peer.peak();
    const tfjsPeak = matMulGflops();
    const inputWidth = data.specs.inputs.reduce((n, s) => n + (s.dtype === 'int32' ? CENSUS_EMBEDDING_DIM : s.shape.reduce((a, b) => a * b, 1)), 0);
    const flopsPerSample = mmoeTrainingFlopsPerSample(inputWidth, data.specs.outputs.filter((o) => o.label !== undefined).length);
    const batches: PeerBatchResult[] = [];
    for (const batch of config.batches) {
      const entry = compiledMmoe(config.seed);
      const replicas = await benchReplicas(entry.recipe as { graph: Graph; seed: number }, entry.model, choice.name);
      await trainOnce(entry, headOf(split, Math.min(split.rows, 8 * batch)), 1, batch, replicas);
      await peer.train(batch, 1, config.seed);
      const towerflow: TrainRun[] = [];
      const pytorch: PeerRound[] = [];
      for (let round = 0; round < config.rounds; round++) {
        const sides = [
          async () => towerflow.push(await trainOnce(entry, split, config.epochs, batch, replicas)),
          async () => pytorch.push(await peer.train(batch, config.epochs, config.seed + round)),
        ];
        for (const side of round % 2 === 0 ? sides : sides.reverse()) await side();
        const t = towerflow.at(-1)?.samplesPerSecond ?? NaN;
        const p = pytorch.at(-1)?.samplesPerSecond ?? NaN;
        log(`  batch ${batch} round ${round + 1}/${config.rounds}: Towerflow ${Math.round(t)} samples/s, PyTorch ${Math.round(p)} samples/s, ratio ${(t / p).toFixed(3)} (load ${loadAverage()})`);
      }
      await replicas?.dispose();
      const kernels = await kernelsPerStep(entry, data.split, batch);
      entry.model.dispose();
      const tf_ = towerflow.map((r) => r.samplesPerSecond);
      const pt = pytorch.map((r) => r.samplesPerSecond);
      batches.push({
        batch,
        towerflow: tf_,
        pytorch: pt,
        towerflowMedian: median(tf_),
        pytorchMedian: median(pt),
        ratio: median(tf_) / median(pt),
        pairedRatio: median(tf_.map((t, i) => t / (pt[i] ?? NaN))),
        kernelsPerStep: kernels,
        towerflowGflops: (median(tf_) * flopsPerSample) / 1e9,
        pytorchGflops: (median(pt) * flopsPerSample) / 1e9,
        peakRssMiB: { towerflow: process.resourceUsage().maxRSS / 1024, pytorch: Math.max(...pytorch.map((r) => r.maxRssMiB ?? NaN)) },
        loadAverage: loadAverage(),
      });
    }
    return {
      status: 'ok',
      data: data.source,
      backend: choice.name,
      towerflowThreads: getBenchThreads(),
      ...(choice.name === 'wasm' ? { xnnpackThreads: wasmThreads() } : {}),
      torch: peer.version,
      threads: peer.threads,
      flopsPerSample,
      peak: { torch1: peak.gflops['1'] ?? NaN, torchAll: peak.gflops[String(peer.threads)] ?? NaN, tfjs: tfjsPeak },
      batches,
      note: 'PyTorch runs with OMP_WAIT_POLICY=PASSIVE and all cores; its default spin-waiting collapses when another process shares the cores.',
    };
  } finally {
    await peer.stop();
    await rm(folder, { recursive: true, force: true });
  }
}

/** The synthetic census-width data of the main bench, where the real census file is not beside the repo. */
function syntheticCensus(seed: number): PeerData {
  const entry = compiledMmoe(seed);
  const split = splitFor(censusColumns(60_000, seed), entry);
  entry.model.dispose();
  return { source: 'synthetic census-width data (60,000 rows; ../shared/data/census-income-kdd not found)', split, specs: { inputs: entry.inputs, outputs: entry.outputs } };
}

/** float32 1024² matMul GFLOP/s on the current tfjs backend (untransposed: its fastest path). */
function matMulGflops(size = 1024, repeats = 10): number {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  tf.matMul(a, b).dataSync();
  const started = performance.now();
  for (let i = 0; i < repeats; i++) {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([a, b]);
  return (2 * size ** 3 * repeats) / seconds / 1e9;
}

export function formatPeerReport(result: PeerBenchResult): string {
  if (result.status === 'skipped') return `PyTorch peer: skipped (${result.reason})`;
  const lines = [
    `PyTorch peer (${result.data}; Towerflow on ${result.backend}, ${result.towerflowThreads ?? 1} thread${(result.towerflowThreads ?? 1) === 1 ? '' : 's'}${(result.xnnpackThreads ?? 1) > 1 ? ` (XNNPACK pool of ${result.xnnpackThreads})` : ''}, PyTorch ${result.torch} on ${result.threads} threads)`,
    `  ${result.note}`,
    `  matmul peak (1024² float32): PyTorch ${result.peak.torch1.toFixed(1)} GFLOP/s on 1 thread, ${result.peak.torchAll.toFixed(1)} on ${result.threads}; tfjs ${result.backend} ${result.peak.tfjs.toFixed(1)}`,
    `  training FLOPs per sample: ${Math.round(result.flopsPerSample).toLocaleString('en-US')}`,
    '  batch | Towerflow samples/s (rounds)        | PyTorch samples/s (rounds)          | ratio (paired) | kernels/step | GFLOP/s Towerflow / PyTorch (% of peak) | peak RSS MiB Towerflow / PyTorch',
  ];
  for (const b of result.batches) {
    const rounds = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
    // The machine's practical peak: the better of PyTorch's 1- and all-thread products (under load, all threads can lose).
    const peak = Math.max(result.peak.torch1, result.peak.torchAll);
    const pct = (g: number) => ((100 * g) / peak).toFixed(1);
    lines.push(
      `  ${String(b.batch).padStart(5)} | ${Math.round(b.towerflowMedian)} (${rounds(b.towerflow)}) | ${Math.round(b.pytorchMedian)} (${rounds(b.pytorch)}) | ` +
        `${b.ratio.toFixed(3)} (${b.pairedRatio.toFixed(3)}) | ${b.kernelsPerStep} | ${b.towerflowGflops.toFixed(2)} (${pct(b.towerflowGflops)} %) / ${b.pytorchGflops.toFixed(2)} (${pct(b.pytorchGflops)} %) | ` +
          `${Math.round(b.peakRssMiB?.towerflow ?? NaN)} / ${Math.round(b.peakRssMiB?.pytorch ?? NaN)}`,
    );
  }
  return lines.join('\n');
}
