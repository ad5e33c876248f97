import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ModelInputSpec, ModelOutputSpec } from '../app/compile/to-tfjs';
import { parseBinding } from '../app/data/binding';
import { formatDataError, isDataError } from '../app/data/errors';
import { prepareData } from '../app/data/prepare';
import type { EncodedSplit } from '../app/train/encoded';
import { compileGraph } from '../app/compile/to-tfjs';
import { loadGraph } from '../app/graph/load';
import { MMOE } from './models';
import { CENSUS_EMBEDDING_DIM, CENSUS_VOCAB } from '../scripts/template-definitions';

/**
 * The PyTorch peer of the bench: the same census MMoE written by hand in plain PyTorch
 * (bench/peer/mmoe_torch.py), trained on the very arrays Towerflow's own pipeline encoded, in a
 * long-lived Python process so its rounds interleave with Towerflow's.
 *
 * PyTorch is not a dependency of the app: the bench makes (or reuses) a virtual environment in
 * bench/peer/.venv with PyPI's torch (whose wheel pulls CUDA libraries even on a CPU machine:
 * minutes and several GB, once), and skips the peer with the reason where Python or pip is missing.
 */
const PEER_DIR = fileURLToPath(new URL('./peer/', import.meta.url));
const VENV = join(PEER_DIR, '.venv');
const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CENSUS_FILE = join(ROOT, '..', 'shared', 'data', 'census-income-kdd', 'census-income.test.gz');

export type PeerPython = { python: string } | { skipped: string };

/** The venv's python with torch importable, making the venv first if needed. */
export function peerPython(log: (line: string) => void): PeerPython {
  const python = join(VENV, 'bin', 'python');
  const hasTorch = () => spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
  if (existsSync(python) && hasTorch()) return { python };
  const system = ['python3', 'python'].find((p) => spawnSync(p, ['--version'], { encoding: 'utf8' }).status === 0);
  if (!system) return { skipped: 'no python3 on this machine' };
  if (!existsSync(python)) {
    log(`  making ${VENV} (python -m venv)`);
    const made = spawnSync(system, ['-m', 'venv', VENV], { encoding: 'utf8' });
    if (made.status !== 0) return { skipped: `python3 -m venv failed: ${firstLine(made.stderr)}` };
  }
  log('  installing torch and numpy from PyPI into it (the torch wheel brings CUDA libraries: minutes, several GB, once)');
  const installed = spawnSync(python, ['-m', 'pip', 'install', '--quiet', 'torch', 'numpy'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (installed.status !== 0) return { skipped: `pip install torch failed: ${firstLine(installed.stderr)}` };
  return hasTorch() ? { python } : { skipped: 'torch installed but does not import' };
}

/** The census MMoE's training split as Towerflow encodes it: real data where the shared data set is present. */
export interface PeerData {
  source: string;
  split: EncodedSplit;
  specs: { inputs: ModelInputSpec[]; outputs: ModelOutputSpec[] };
}

/**
 * 75 % of census-income.test.gz (the split: seed 1), encoded by prepareData with the
 * shipped binding: vocabularies and standardisation fitted on those rows, as `towerflow train` does.
 */
export async function realCensus(): Promise<PeerData | undefined> {
  if (!existsSync(CENSUS_FILE)) return undefined;
  const loaded = loadGraph(await readFile(join(ROOT, 'templates', 'mmoe.json'), 'utf8'));
  if (!loaded.graph) throw new Error('templates/mmoe.json does not load');
  const compiled = compileGraph(loaded.graph, { seed: 1 });
  if (!compiled.ok) throw new Error('templates/mmoe.json does not compile');
  compiled.compiled.model.dispose();
  const binding = parseBinding(JSON.parse(await readFile(join(ROOT, 'examples', 'census-income.binding.json'), 'utf8')));
  if (isDataError(binding)) throw new Error(formatDataError(binding));
  const prepared = await prepareData(compiled.compiled, binding, { train: CENSUS_FILE }, { validation: 0.25, seed: 1 });
  if (isDataError(prepared)) throw new Error(formatDataError(prepared));
  const { inputs, outputs } = compiled.compiled;
  return { source: `census-income.test.gz, 75 % training split (${prepared.train.rows} rows), encoded by Towerflow's pipeline`, split: prepared.train, specs: { inputs, outputs } };
}

/**
 * Writes the split for the peer: all id columns as one [rows, columns] int32 matrix in the model's
 * input order, the numeric input, the labels of the trained outputs, and the model's sizes.
 */
export async function writePeerData(folder: string, data: PeerData, learningRate: number): Promise<void> {
  await mkdir(folder, { recursive: true });
  const { split, specs } = data;
  const idInputs = specs.inputs.filter((s) => s.dtype === 'int32');
  const numericInputs = specs.inputs.filter((s) => s.dtype === 'float32');
  const tasks = specs.outputs.filter((o) => o.label !== undefined);
  const ids = interleave(split.rows, idInputs.map((s) => split.inputs[s.name] as Int32Array), Int32Array);
  const numeric = interleave(split.rows, numericInputs.map((s) => split.inputs[s.name] as Float32Array), Float32Array);
  const labels = interleave(split.rows, tasks.map((t) => split.labels[t.name] as Float32Array), Float32Array);
  const numericWidth = numericInputs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  await writeFile(join(folder, 'ids.i32'), ids);
  await writeFile(join(folder, 'numeric.f32'), numeric);
  await writeFile(join(folder, 'labels.f32'), labels);
  const model = {
    vocabSizes: idInputs.map(() => CENSUS_VOCAB),
    embeddingDim: CENSUS_EMBEDDING_DIM,
    numericWidth,
    experts: MMOE.experts,
    expertUnits: MMOE.expertUnits,
    towerUnits: MMOE.towerUnits,
  };
  await writeFile(join(folder, 'manifest.json'), JSON.stringify({ rows: split.rows, learningRate, model, tasks: tasks.map((t) => t.name) }, null, 2));
}

/** Columns (each rows × width, row-major) side by side into one rows × Σwidth matrix. */
function interleave<T extends Int32Array | Float32Array>(rows: number, columns: T[], make: new (n: number) => T): T {
  const widths = columns.map((c) => c.length / rows);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new make(rows * total);
  for (let r = 0; r < rows; r++) {
    let at = r * total;
    columns.forEach((c, i) => {
      const w = widths[i] as number;
      out.set(c.subarray(r * w, (r + 1) * w), at);
      at += w;
    });
  }
  return out;
}

export interface PeerRound {
  samplesPerSecond: number;
  cpuSeconds: number;
  loss: number;
  /** The peer process's peak RSS so far, MiB. */
  maxRssMiB: number;
}

/** The running peer: one request, one JSON reply. */
export class TorchPeer {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly replies: AsyncIterator<string>,
    readonly version: string,
    readonly threads: number,
  ) {}

  static async start(python: string, folder: string): Promise<TorchPeer> {
    // PyTorch's OpenMP threads spin-wait by default; on a shared 2-core machine that spinning takes
    // the cores from whatever runs next (here: Towerflow's own rounds), and its own speed collapses.
    const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
    const child = spawn(python, [join(PEER_DIR, 'mmoe_torch.py'), folder], { env });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await replies.next();
    if (first.done) throw new Error(`the PyTorch peer did not start: ${stderr.trim()}`);
    const ready = JSON.parse(first.value) as { torch: string; threads: number };
    return new TorchPeer(child, replies, ready.torch, ready.threads);
  }

  private async request<T>(message: object): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
    const reply = await this.replies.next();
    if (reply.done) throw new Error('the PyTorch peer stopped');
    return JSON.parse(reply.value) as T;
  }

  train(batch: number, epochs: number, seed: number): Promise<PeerRound> {
    return this.request({ op: 'train', batch, epochs, seed });
  }

  /** float32 1024² matMul GFLOP/s on 1 thread and on all: the machine's practical matmul peak. */
  peak(): Promise<{ gflops: Record<string, number> }> {
    return this.request({ op: 'peak' });
  }

  async stop(): Promise<void> {
    this.child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
    await new Promise((resolve) => this.child.once('exit', resolve));
  }
}

/**
 * Training FLOPs per sample of the census MMoE: every dense product counted as 2·in·out, ×3 for
 * training (forward, and two products backward: the weight gradient and the input gradient).
 */
export function mmoeTrainingFlopsPerSample(inputWidth: number, tasks: number): number {
  const { experts, expertUnits, towerUnits } = MMOE;
  const forward = 2 * inputWidth * experts * expertUnits + tasks * (2 * inputWidth * experts + 2 * experts * expertUnits + 2 * expertUnits * towerUnits + 2 * towerUnits);
  return 3 * forward;
}

export const loadAverage = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

const firstLine = (text: string | undefined): string => (text ?? '').trim().split('\n').at(-1) ?? '';
