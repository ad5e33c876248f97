/**
 * The GPU check: `npm run bench:gpu` (or `npx tsx bench/gpu.ts`, or `node bench/gpu.mjs` from the
 * pack that scripts/pack-gpu-bench.ts makes for a GPU machine without network or Node).
 *
 * Trains the compiled census MMoE template on the webgpu backend (Dawn) at batch 512, 4096 and
 * 32768 on synthetic census-width data (bench/census-data.ts: no data files needed) and prints, per
 * batch: samples/s, wall ms per step, the GPU's kernel time per step (WebGPU timestamp queries
 * through tf.profile, where the adapter has them), the rest of the step — the loop's overhead:
 * gathering the batch in JS, uploading it, encoding kernels, reading losses — and the host CPU
 * time per step (all of the process's threads, Dawn's included). Then, where `python3 -c "import torch"` works and CUDA is there, the same MMoE in
 * plain PyTorch (bench/peer/mmoe_torch.py --device cuda) on the same encoded arrays and batches.
 * Sized to finish in well under 5 minutes on a real GPU.
 *
 * Options: --batches=512,4096,32768  --steps=20 (timed steps per batch)  --quick (tiny: batches
 * 64,256, 3 steps; for checking the script on a software adapter)  --allow-software (measure on a
 * fallback adapter such as SwiftShader; otherwise the check stops and says so)  --no-peer
 * --python=python3  --out=FILE (the JSON; default: none).
 */
import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chooseBackend, describeChoice, releaseBackend } from '../app/engine/backend';
import { trainModel, type TrainOptions } from '../app/train/session';
import { censusColumns, splitFor } from './census-data';
import { compiledMmoe } from './models';
import { writePeerData } from './torch-peer';
import { headOf } from './training';

tf.env().set('PROD', true);

interface Options {
  batches: number[];
  steps: number;
  allowSoftware: boolean;
  peer: boolean;
  python: string;
  out: string | undefined;
}

export interface GpuBatchResult {
  batch: number;
  steps: number;
  samplesPerSecond: number;
  wallMsPerStep: number;
  /** Sum of the GPU kernels' timestamp-query times per step; undefined without timestamp queries. */
  kernelMsPerStep?: number;
  /** wall − kernel: what the loop adds around the GPU's work. */
  overheadMsPerStep?: number;
  hostCpuMsPerStep: number;
  kernelsPerStep: number;
}

export interface PeerBatchResult {
  batch: number;
  samplesPerSecond: number;
}

const LEARNING_RATE = 0.001;
const SEED = 7;
const PEER_SCRIPT = fileURLToPath(new URL('./peer/mmoe_torch.py', import.meta.url));

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { batches: [512, 4096, 32768], steps: 20, allowSoftware: false, peer: true, python: 'python3', out: undefined };
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2) as [string, string | undefined];
    if (flag === '--quick') Object.assign(options, { batches: [64, 256], steps: 3 });
    else if (flag === '--batches' && value) options.batches = value.split(',').map((v) => positive('--batches', v));
    else if (flag === '--steps' && value) options.steps = positive('--steps', value);
    else if (flag === '--allow-software') options.allowSoftware = true;
    else if (flag === '--no-peer') options.peer = false;
    else if (flag === '--python' && value) options.python = value;
    else if (flag === '--out' && value) options.out = value;
    else throw new UsageError(`unknown option ${arg}; see the comment at the top of bench/gpu.ts`);
  }
  return options;
}

class UsageError extends Error {}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes positive integers, got "${text}"`);
  return n;
}

const log = (line: string) => console.error(line);

/** The check must end within 5 minutes whatever happens on the device (a lost device can hang a read). */
const WATCHDOG_MS = 280_000;
setTimeout(() => {
  log(`bench/gpu.ts: gave up after ${WATCHDOG_MS / 1000} s (a step or a read never finished); the lines above are what was measured`);
  process.exit(3);
}, WATCHDOG_MS).unref();

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const choice = await chooseBackend('webgpu');
  if ('error' in choice) {
    log(`no GPU check: ${choice.error}`);
    return 1;
  }
  const note = describeChoice(choice);
  log(note);
  if (choice.adapter?.isFallbackAdapter && !options.allowSoftware) {
    releaseBackend();
    log('no GPU check: Dawn found only a software adapter, whose figures say nothing about a GPU (--allow-software measures it anyway)');
    return 1;
  }
  const maxRows = Math.max(...options.batches) * (options.steps + 2);
  log(`making ${maxRows} rows of synthetic census-width data`);
  const data = censusColumns(maxRows, SEED);
  const towerflow: GpuBatchResult[] = [];
  for (const batch of options.batches) towerflow.push(await measure(batch, options.steps, data));
  releaseBackend();

  const peer = options.peer ? await runPeer(options, data) : { skipped: 'not asked for (--no-peer)' };
  const report = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    backend: note,
    adapter: choice.adapter,
    towerflow,
    pytorch: peer,
    seconds: (performance.now() - started) / 1000,
  };
  console.log(formatReport(report));
  if (options.out) {
    await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${options.out}`);
  }
  return 0;
}

async function measure(batch: number, steps: number, data: ReturnType<typeof censusColumns>): Promise<GpuBatchResult> {
  const entry = compiledMmoe(SEED);
  const split = splitFor(data, entry);
  // A long progress interval: losses are read in the largest groups the loop allows, as in a real run.
  const train: TrainOptions = { optimizer: 'adam', learningRate: LEARNING_RATE, batchSize: batch, epochs: 1, seed: 1, progressIntervalMs: 60_000 };
  try {
    log(`batch ${batch}: warm-up (shader compilation), then ${steps} timed steps`);
    await trainModel(entry.model, entry, { train: headOf(split, batch * 2) }, train);
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const result = await trainModel(entry.model, entry, { train: headOf(split, batch * steps) }, train);
    const wall = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    // Profiled separately: timing each kernel ends its compute pass, which slows the run itself.
    const profileSteps = Math.min(steps, 5);
    const profile = await tf.profile(async () => void (await trainModel(entry.model, entry, { train: headOf(split, batch * profileSteps) }, train)));
    const times = profile.kernels.map((k) => k.kernelTimeMs);
    const timed = times.every((t) => typeof t === 'number' && Number.isFinite(t) && t >= 0) && times.some((t) => (t as number) > 0);
    const kernelMs = timed ? (times as number[]).reduce((a, b) => a + b, 0) / profileSteps : undefined;
    const wallMsPerStep = wall / steps;
    const out: GpuBatchResult = {
      batch,
      steps,
      samplesPerSecond: result.samplesPerSecond,
      wallMsPerStep,
      ...(kernelMs !== undefined ? { kernelMsPerStep: kernelMs, overheadMsPerStep: Math.max(0, wallMsPerStep - kernelMs) } : {}),
      hostCpuMsPerStep: (used.user + used.system) / 1000 / steps,
      kernelsPerStep: Math.round(profile.kernels.length / profileSteps),
    };
    log(`  ${Math.round(out.samplesPerSecond)} samples/s, ${wallMsPerStep.toFixed(2)} ms/step`);
    return out;
  } finally {
    entry.model.dispose();
  }
}

/** The PyTorch MMoE on CUDA, or why not. */
async function runPeer(options: Options, data: ReturnType<typeof censusColumns>): Promise<{ torch: string; device: string; batches: PeerBatchResult[] } | { skipped: string }> {
  const probe = spawnSync(options.python, ['-c', 'import torch, numpy; print(torch.__version__, torch.cuda.is_available())'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `${options.python} -c "import torch, numpy" failed: ${(probe.stderr || String(probe.error ?? '')).trim().split('\n').at(-1)}` };
  const [version, cuda] = probe.stdout.trim().split(' ');
  if (cuda !== 'True') return { skipped: `PyTorch ${version} sees no CUDA device` };
  const folder = await mkdtemp(join(os.tmpdir(), 'towerflow-gpu-peer-'));
  try {
    const entry = compiledMmoe(SEED);
    const split = splitFor(data, entry);
    await writePeerData(folder, { source: 'synthetic census-width data (bench/census-data.ts)', split, specs: { inputs: entry.inputs, outputs: entry.outputs } }, LEARNING_RATE);
    entry.model.dispose();
    log(`PyTorch ${version} on CUDA: the same MMoE and rows, ${options.batches.join(', ')}`);
    const child = spawn(options.python, [PEER_SCRIPT, folder, '--device', 'cuda'], { env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<Record<string, unknown>> => {
      const line = await lines.next();
      if (line.done) throw new Error(`the PyTorch peer stopped: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      return JSON.parse(line.value) as Record<string, unknown>;
    };
    const ask = async (message: object) => {
      child.stdin.write(`${JSON.stringify(message)}\n`);
      return next();
    };
    const ready = await next();
    const batches: PeerBatchResult[] = [];
    for (const batch of options.batches) {
      // One round to warm CUDA and its kernels up, then the best of two.
      await ask({ op: 'train', batch, epochs: 1, seed: 1 });
      const rounds = [await ask({ op: 'train', batch, epochs: 1, seed: 2 }), await ask({ op: 'train', batch, epochs: 1, seed: 3 })];
      const best = Math.max(...rounds.map((r) => Number(r.samplesPerSecond)));
      log(`  batch ${batch}: ${Math.round(best)} samples/s`);
      batches.push({ batch, samplesPerSecond: best });
    }
    child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
    await new Promise((resolve) => child.once('exit', resolve));
    return { torch: String(ready.torch), device: String(ready.device ?? 'cuda'), batches };
  } catch (error) {
    return { skipped: `the PyTorch peer failed: ${(error as Error).message}` };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function formatReport(report: { node: string; platform: string; cpus: string; backend: string; towerflow: GpuBatchResult[]; pytorch: { batches: PeerBatchResult[]; torch: string } | { skipped: string }; seconds: number }): string {
  const ms = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(2));
  const lines = [
    `Towerflow census MMoE on webgpu — ${report.backend}`,
    `Node ${report.node}, ${report.platform}, ${report.cpus}`,
    '',
    '| batch | samples/s | ms/step | GPU kernels ms/step | loop overhead ms/step | host CPU ms/step | kernels/step | PyTorch CUDA samples/s | Towerflow / PyTorch |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of report.towerflow) {
    const peer = 'batches' in report.pytorch ? report.pytorch.batches.find((p) => p.batch === r.batch) : undefined;
    lines.push(
      `| ${r.batch} | ${Math.round(r.samplesPerSecond)} | ${ms(r.wallMsPerStep)} | ${ms(r.kernelMsPerStep)} | ${ms(r.overheadMsPerStep)} | ${ms(r.hostCpuMsPerStep)} | ${r.kernelsPerStep} | ${peer ? Math.round(peer.samplesPerSecond) : '—'} | ${peer ? (r.samplesPerSecond / peer.samplesPerSecond).toFixed(2) : '—'} |`,
    );
  }
  lines.push('', 'batches' in report.pytorch ? `PyTorch ${report.pytorch.torch} on CUDA (bench/peer/mmoe_torch.py).` : `PyTorch peer skipped: ${report.pytorch.skipped}.`);
  lines.push(`${report.seconds.toFixed(0)} s in all.`);
  return lines.join('\n');
}

main().then(
  (code) => {
    // Exit explicitly: the peer's pipes or a device left by a failure must not keep the check waiting.
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof UsageError ? `bench/gpu.ts: ${error.message}` : error instanceof Error ? error.stack : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
