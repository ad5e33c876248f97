import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { twoTaskCsv, twoTaskGraph } from './helpers';

/**
 * `towerflow train --threads N` (#19 goal 3): the run trains on N threads (N − 1 replicas,
 * app/train/replicas.ts), says so, records it, and a seed with a thread count gives the same weights
 * bit for bit; one thread's weights differ from two threads' only by float rounding.
 */
const exec = promisify(execFile);
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-threads-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const GRAPH = path.join(tmp, 'two-tasks.json');
const DATA = path.join(tmp, 'train.csv');
writeFileSync(GRAPH, JSON.stringify(twoTaskGraph()));
writeFileSync(DATA, twoTaskCsv(1024, 3));

async function train(threads: number, runs: string): Promise<{ stdout: string; dir: string; bytes: Buffer; weights: Float32Array }> {
  const { stdout } = await exec(process.execPath, ['bin/towerflow.mjs', 'train', GRAPH, '--data', DATA, '--epochs', '2', '--batch-size', '128', '--backend', 'wasm', '--threads', String(threads), '--no-cache', '--runs', path.join(tmp, runs)], { timeout: 240_000, maxBuffer: 1 << 22 });
  const dir = stdout.trim().split('\n').at(-1)?.replace(/^saved /, '') ?? '';
  const bytes = readFileSync(path.join(dir, 'model', 'weights.bin'));
  return { stdout, dir, bytes, weights: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
}

const skipWhy = availableParallelism() < 2 ? 'this host has one core' : undefined;
if (skipWhy) console.log(`threads-cli skipped: ${skipWhy}`);

describe.skipIf(skipWhy !== undefined)('towerflow train --threads', () => {
  it('trains on two threads, says so, records it, and repeats its weights bit for bit', async () => {
    const [one, two, again] = await Promise.all([train(1, 'one'), train(2, 'two'), train(2, 'again')]);
    expect(one.stdout).not.toMatch(/^threads:/m);
    expect(two.stdout).toMatch(/^threads: 2 threads$/m);
    const summary = JSON.parse(readFileSync(path.join(two.dir, 'summary.json'), 'utf8')) as { threads: number; backendNote: string };
    expect(summary).toMatchObject({ threads: 2, backendNote: 'backend wasm (2 threads)' });
    expect(readFileSync(path.join(two.dir, 'log.txt'), 'utf8').split('\n')[0]).toMatch(/backend wasm \(2 threads\)$/);
    expect(again.bytes.equals(two.bytes)).toBe(true);
    // Another sum order, so not the same bits as one thread, but the same training.
    expect(two.bytes.equals(one.bytes)).toBe(false);
    const worst = Math.max(...Array.from(one.weights, (v, i) => Math.abs(v - (two.weights[i] as number)) / Math.max(1e-2, Math.abs(v))));
    expect(worst).toBeLessThan(1e-2);
  }, 300_000);
});
