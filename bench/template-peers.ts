import * as tf from '@tensorflow/tfjs';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateTorchPackage } from '../app/codegen/python/package';
import { chooseBackend, type NodeBackendName } from '../app/engine/backend';
import type { EncodedSplit } from '../app/train/encoded';
import { compileTemplate, templateGraph, templateSplit, TEMPLATES, type TemplateName } from './template-data';
import { loadAverage } from './torch-peer';
import { benchReplicas, BENCH_TRAIN, getBenchThreads, headOf, kernelsPerStep, median, trainOnce, type TrainRun } from './training';
import { sharedSplit } from '../app/train/replicas';

/**
 * Every template against PyTorch running the model Towerflow's own PyTorch export generates for
 * that graph (model.py; equal to the compiled tfjs model within 1e-5 in
 * tests/unit/codegen/python-export.test.ts), both trained on the same encoded arrays with Adam at
 * the same rate and batch, rounds interleaved with the starting side alternating. Ratios in the
 * same run only: the absolute figures move with the shared machine's load.
 */
export interface TemplatePeerConfig {
  backend: NodeBackendName;
  templates: readonly TemplateName[];
  batch: number;
  rows: number;
  rounds: number;
  epochs: number;
  seed: number;
  /** Count kernels per step (two extra short trainings per template under tf.profile). */
  kernels: boolean;
}

export const DEFAULT_TEMPLATE_PEER_CONFIG: TemplatePeerConfig = {
  backend: 'wasm',
  templates: TEMPLATES,
  batch: 512,
  rows: 40_960,
  rounds: 3,
  epochs: 1,
  seed: 7,
  kernels: true,
};

export interface TemplatePeerRow {
  template: TemplateName;
  parameters: { towerflow: number; pytorch: number };
  towerflow: number[];
  pytorch: number[];
  ratio: number;
  pairedRatio: number;
  /** Towerflow's median samples per CPU second / PyTorch's: what each engine does with the CPU it got. */
  perCpuSecondRatio: number;
  kernelsPerStep?: number;
  /** Peak resident set of each process so far, MiB (both are long-lived: a running maximum). */
  peakRssMiB: { towerflow: number; pytorch: number };
  tensorsAfterRounds: number[];
  loadAverage: string;
}

export type TemplatePeerResult =
  | { status: 'skipped'; reason: string }
  | { status: 'ok'; backend: string; towerflowThreads?: number; torch: string; threads: number; batch: number; rowsPerRound: number; templates: TemplatePeerRow[] };

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..');
const exec = promisify(execFile);

export async function runTemplatePeerBench(config: TemplatePeerConfig, log: (line: string) => void): Promise<TemplatePeerResult> {
  log(`Templates against their PyTorch export (batch ${config.batch}, ${config.rows} rows, ${config.rounds} rounds)`);
  const python = await torchPython();
  if ('skipped' in python) return { status: 'skipped', reason: python.skipped };
  const choice = await chooseBackend(config.backend);
  if ('error' in choice) return { status: 'skipped', reason: choice.error };
  const folder = await mkdtemp(join(os.tmpdir(), 'towerflow-template-peers-'));
  const peer = await TemplatePeer.start(python.python);
  try {
    log(`  PyTorch ${peer.version}, ${peer.threads} threads (OMP_WAIT_POLICY=PASSIVE); Towerflow on ${choice.name}`);
    const rows: TemplatePeerRow[] = [];
    for (const name of config.templates) {
      const graph = templateGraph(name);
      const compiled = compileTemplate(graph, config.seed);
      const split = sharedSplit(templateSplit(graph, compiled, config.rows, config.seed));
      const dir = join(folder, name);
      await writeTemplatePackage(name, dir, split, compiled);
      const loaded = await peer.request<{ parameters: number }>({ op: 'load', name, folder: dir });
      const entry = { model: compiled.model, inputs: compiled.inputs, outputs: compiled.outputs };
      const replicas = await benchReplicas({ graph, seed: config.seed }, compiled.model, choice.name);
      // Warm-up: kernel set-up and first allocations on both sides.
      await trainOnce(entry, headOf(split, 8 * config.batch), 1, config.batch, replicas);
      await peer.train(name, config.batch, 1, config.seed);
      const towerflow: TrainRun[] = [];
      const pytorch: TorchRound[] = [];
      const tensors: number[] = [];
      for (let round = 0; round < config.rounds; round++) {
        const sides = [
          async () => {
            towerflow.push(await trainOnce(entry, split, config.epochs, config.batch, replicas));
            tensors.push(tf.memory().numTensors);
          },
          async () => void pytorch.push(await peer.train(name, config.batch, config.epochs, config.seed + round)),
        ];
        for (const side of round % 2 === 0 ? sides : sides.reverse()) await side();
        const t = towerflow.at(-1)?.samplesPerSecond ?? NaN;
        const p = pytorch.at(-1)?.samplesPerSecond ?? NaN;
        log(`  ${name.padEnd(13)} round ${round + 1}/${config.rounds}: Towerflow ${Math.round(t)}, PyTorch ${Math.round(p)} samples/s, ratio ${(t / p).toFixed(3)} (load ${loadAverage()})`);
      }
      const kernels = config.kernels ? await kernelsPerStep(entry, split, config.batch) : undefined;
      const tfRates = towerflow.map((r) => r.samplesPerSecond);
      const ptRates = pytorch.map((r) => r.samplesPerSecond);
      rows.push({
        template: name,
        parameters: { towerflow: compiled.model.countParams(), pytorch: loaded.parameters },
        towerflow: tfRates,
        pytorch: ptRates,
        ratio: median(tfRates) / median(ptRates),
        pairedRatio: median(tfRates.map((t, i) => t / (ptRates[i] ?? NaN))),
        perCpuSecondRatio: median(towerflow.map((r) => r.samplesPerCpuSecond)) / median(pytorch.map((r) => r.samplesPerCpuSecond)),
        ...(kernels !== undefined ? { kernelsPerStep: kernels } : {}),
        peakRssMiB: { towerflow: process.resourceUsage().maxRSS / 1024, pytorch: Math.max(...pytorch.map((r) => r.maxRssMiB)) },
        tensorsAfterRounds: tensors,
        loadAverage: loadAverage(),
      });
      await replicas?.dispose();
      compiled.model.dispose();
    }
    return { status: 'ok', backend: choice.name, towerflowThreads: getBenchThreads(), torch: peer.version, threads: peer.threads, batch: config.batch, rowsPerRound: config.rows, templates: rows };
  } finally {
    await peer.stop();
    await rm(folder, { recursive: true, force: true });
  }
}

/** model.py (and the rest of the export) plus the arrays, each raw little-endian, with arrays.json naming them. */
async function writeTemplatePackage(name: TemplateName, dir: string, split: EncodedSplit, compiled: ReturnType<typeof compileTemplate>): Promise<void> {
  const generated = await generateTorchPackage(templateGraph(name), { towerflowVersion: 'bench' });
  if (!generated.ok) throw new Error(`${name}: the PyTorch export failed: ${generated.diagnostics.map((d) => d.message).join('; ')}`);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(generated.files)) await writeFile(join(dir, file), text);
  const inputs = compiled.inputs.map((spec, i) => ({ name: spec.name, dtype: spec.dtype, shape: spec.shape, file: `input-${i}.bin` }));
  const labels = Object.keys(split.labels).map((output, i) => ({ name: output, dtype: 'float32', shape: [], file: `label-${i}.bin` }));
  for (const entry of inputs) await writeFile(join(dir, entry.file), split.inputs[entry.name] as Int32Array | Float32Array);
  for (const entry of labels) await writeFile(join(dir, entry.file), split.labels[entry.name] as Float32Array);
  await writeFile(join(dir, 'arrays.json'), JSON.stringify({ rows: split.rows, learningRate: BENCH_TRAIN.learningRate, inputs, labels }));
}

/** scripts/python-env.sh's .venv-torch: the interpreter the export's own tests run model.py in. */
async function torchPython(): Promise<{ python: string } | { skipped: string }> {
  try {
    const { stdout } = await exec('bash', [join(ROOT, 'scripts', 'python-env.sh')], { maxBuffer: 1 << 20, timeout: 30 * 60_000 });
    const python = stdout.trim().split('\n').at(-1);
    return python ? { python } : { skipped: 'scripts/python-env.sh printed no python' };
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    return { skipped: `scripts/python-env.sh failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-2).join(' / ')}` };
  }
}

interface TorchRound {
  samplesPerSecond: number;
  samplesPerCpuSecond: number;
  loss: number;
  maxRssMiB: number;
}

class TemplatePeer {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly replies: AsyncIterator<string>,
    readonly version: string,
    readonly threads: number,
  ) {}

  static async start(python: string): Promise<TemplatePeer> {
    // As in torch-peer.ts: spin-waiting OpenMP threads would take the cores from Towerflow's rounds.
    const child = spawn(python, [join(HERE, 'peer', 'template_torch.py')], { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await replies.next();
    if (first.done) throw new Error(`the PyTorch template peer did not start: ${stderr.trim()}`);
    const ready = JSON.parse(first.value) as { torch: string; threads: number };
    const peer = new TemplatePeer(child, replies, ready.torch, ready.threads);
    peer.stderr = () => stderr;
    return peer;
  }

  private stderr: () => string = () => '';

  async request<T>(message: object): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
    const reply = await this.replies.next();
    if (reply.done) throw new Error(`the PyTorch template peer stopped: ${this.stderr().trim().split('\n').slice(-5).join(' / ')}`);
    return JSON.parse(reply.value) as T;
  }

  train(name: string, batch: number, epochs: number, seed: number): Promise<TorchRound> {
    return this.request({ op: 'train', name, batch, epochs, seed });
  }

  async stop(): Promise<void> {
    this.child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
    await new Promise((resolve) => this.child.once('exit', resolve));
  }
}

export function formatTemplatePeerReport(result: TemplatePeerResult): string {
  if (result.status === 'skipped') return `Templates against their PyTorch export: skipped (${result.reason})`;
  const lines = [
    `Templates against their PyTorch export (Towerflow on ${result.backend}, ${result.towerflowThreads ?? 1} thread${(result.towerflowThreads ?? 1) === 1 ? '' : 's'}; PyTorch ${result.torch} on ${result.threads} threads; batch ${result.batch}, ${result.rowsPerRound} rows a round, same arrays)`,
    '  template      | params       | Towerflow samples/s (rounds)   | PyTorch samples/s (rounds)     | ratio (paired) | per CPU s | kernels/step | peak RSS MiB Towerflow / PyTorch | load',
  ];
  for (const r of result.templates) {
    const rounds = (xs: number[]) => `${Math.round(median(xs))} (${xs.map((x) => Math.round(x)).join(', ')})`;
    lines.push(
      `  ${r.template.padEnd(13)} | ${`${r.parameters.towerflow}/${r.parameters.pytorch}`.padEnd(12)} | ${rounds(r.towerflow).padEnd(30)} | ${rounds(r.pytorch).padEnd(30)} | ` +
        `${r.ratio.toFixed(3)} (${r.pairedRatio.toFixed(3)}) | ${r.perCpuSecondRatio.toFixed(3)} | ${String(r.kernelsPerStep ?? '-').padStart(12)} | ${Math.round(r.peakRssMiB.towerflow)} / ${Math.round(r.peakRssMiB.pytorch)} | ${r.loadAverage}`,
    );
  }
  return lines.join('\n');
}
