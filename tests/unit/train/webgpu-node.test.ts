import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALI_CCP, censusHead, movielensSequences, ROOT, tempDir } from './helpers';

/**
 * The webgpu backend of the Node engine (app/engine/webgpu-node.ts) on Dawn's software adapter,
 * SwiftShader: MMoE, PLE, ESMM and DIN train one short epoch with per-step losses and final
 * predictions equal to cpu's within 1e-3; by default the software adapter is passed over with its
 * reason; `towerflow train --backend webgpu` returns to the shell.
 *
 * Dawn looks for the Vulkan loader and its drivers when the process starts, so each run is a child
 * process with its environment: VK_ICD_FILENAMES points at the SwiftShader ICD that Debian's
 * chromium package ships, and where the system has no libvulkan.so.1 (Debian: libvulkan1),
 * chromium's own copy is put on LD_LIBRARY_PATH. The app itself never sets either.
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const CHROMIUM_LIBS = '/usr/lib/chromium';
const TEMPLATES = ['mmoe', 'ple', 'esmm', 'din'] as const;

function webgpuInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('webgpu');
    return true;
  } catch {
    return false;
  }
}
const systemVulkan = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'].some(existsSync);
const missing = !webgpuInstalled()
  ? 'the optional package webgpu is not installed'
  : !process.env.VK_ICD_FILENAMES && !existsSync(SWIFTSHADER_ICD)
    ? `no SwiftShader Vulkan driver at ${SWIFTSHADER_ICD} (apt-get install chromium)`
    : !systemVulkan && !existsSync(path.join(CHROMIUM_LIBS, 'libvulkan.so.1'))
      ? 'no Vulkan loader (apt-get install libvulkan1)'
      : undefined;
if (missing) console.warn(`webgpu (Dawn) tests skipped: ${missing}`);

const env = {
  ...process.env,
  VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? SWIFTSHADER_ICD,
  ...(systemVulkan ? {} : { LD_LIBRARY_PATH: [CHROMIUM_LIBS, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') }),
};

/** Runs a Node child with that environment; its exit code, output, and whether it had to be killed. */
function runNode(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, killed });
    });
  });
}

interface ChildResult {
  error?: string;
  backend: string;
  note: string;
  adapter?: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean };
  templates: Record<string, { losses: number[][]; predictions: number[][]; leaked: number }>;
}

async function child(mode: string, templates: readonly string[] = []): Promise<ChildResult> {
  const result = await runNode(['--import', 'tsx', 'tests/unit/train/webgpu-child.ts', mode, dataFile, ...templates], 240_000);
  if (result.killed || result.code !== 0) throw new Error(`child ${mode} ${result.killed ? 'did not exit' : `exited ${result.code}`}:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as ChildResult;
}

const tmp = tempDir('towerflow-webgpu-');
let dataFile = '';

describe.skipIf(missing !== undefined)('webgpu backend in Node (Dawn on SwiftShader)', () => {
  let gpu: ChildResult;
  let cpu: ChildResult;

  beforeAll(async () => {
    // Tiny data: SwiftShader trains ≈150 samples/s. Four steps per template.
    const census = tmp.write('census.csv', censusHead(128));
    const din = tmp.path('din.csv');
    await movielensSequences(din, 128);
    dataFile = tmp.write(
      'data.json',
      JSON.stringify({
        mmoe: { file: census, binding: 'census-income', batchSize: 32 },
        ple: { file: census, binding: 'census-income', batchSize: 32 },
        esmm: { file: path.join(ALI_CCP, 'ali_ccp_train_sample.csv'), binding: 'ali-ccp', batchSize: 25 },
        din: { file: din, binding: 'movielens-din', batchSize: 32 },
      }),
    );
    [gpu, cpu] = await Promise.all([child('webgpu', TEMPLATES), child('cpu', TEMPLATES)]);
  }, 300_000);
  afterAll(() => tmp.cleanup());

  it('--backend webgpu forces the software adapter and names it', () => {
    expect(gpu.error).toBeUndefined();
    expect(gpu.backend).toBe('webgpu');
    expect(gpu.adapter).toMatchObject({ isFallbackAdapter: true });
    expect(gpu.note).toMatch(/^backend webgpu on \S+ \S+ \(.+\), a software adapter$/);
    expect(cpu.backend).toBe('cpu');
  });

  it.each(TEMPLATES)('%s: per-step losses and the trained model’s predictions equal cpu’s within 1e-3, and no tensor is left behind', (name) => {
    const ours = gpu.templates[name];
    const theirs = cpu.templates[name];
    expect(ours?.losses.length).toBe(4);
    expect(ours?.losses.length).toBe(theirs?.losses.length);
    const lossGap = Math.max(...(ours?.losses ?? []).flatMap((step, i) => step.map((v, j) => Math.abs(v - (theirs?.losses[i]?.[j] ?? Number.NaN)))));
    expect(lossGap).toBeLessThan(1e-3);
    expect(ours?.predictions.length).toBe(theirs?.predictions.length);
    ours?.predictions.forEach((output) => expect(output.length).toBeGreaterThan(0));
    const predictionGap = Math.max(...(ours?.predictions ?? []).flatMap((output, i) => output.map((v, j) => Math.abs(v - (theirs?.predictions[i]?.[j] ?? Number.NaN)))));
    expect(predictionGap).toBeLessThan(1e-3);
    // The device-resident split, the epoch's order and the pending losses are all given back.
    expect(ours?.leaked).toBe(0);
    console.info(`${name} on SwiftShader vs cpu: losses within ${lossGap.toExponential(1)}, predictions within ${predictionGap.toExponential(1)}`);
  });

  it('by default the software adapter is passed over with its reason', async () => {
    const chosen = await child('default');
    expect(chosen.backend).not.toBe('webgpu');
    expect(chosen.note).toMatch(/\(passed over — webgpu: only a software adapter \(google swiftshader \(.+\)\), ≈150 samples\/s; --backend webgpu forces it; /);
  }, 120_000);

  it('towerflow train --backend webgpu trains, logs the adapter, and returns to the shell', async () => {
    const runs = tmp.path('runs');
    const result = await runNode(
      ['bin/towerflow.mjs', 'train', 'templates/mmoe.json', '--data', tmp.path('census.csv'), '--binding', 'examples/census-income.binding.json', '--epochs', '1', '--batch-size', '64', '--backend', 'webgpu', '--runs', runs],
      180_000,
    );
    expect(result.killed, 'the process had to be killed: it did not exit after training').toBe(false);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^backend webgpu on google swiftshader/m);
    const [run] = readdirSync(runs);
    const summary = JSON.parse(readFileSync(path.join(runs, run ?? '', 'summary.json'), 'utf8')) as { backend: string; backendNote: string };
    expect(summary.backend).toBe('webgpu');
    expect(summary.backendNote).toMatch(/^backend webgpu on google swiftshader \(.+\), a software adapter$/);
    expect(readFileSync(path.join(runs, run ?? '', 'log.txt'), 'utf8')).toContain(summary.backendNote);
  }, 200_000);
});

if (missing) tmp.cleanup();
