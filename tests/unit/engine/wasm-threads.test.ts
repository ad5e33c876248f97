import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultWasmThreads, setWasmThreads } from '../../../app/engine/wasm-threads';
import { twoTaskCsv, twoTaskGraph } from '../train/helpers';

/**
 * tfjs-wasm's threaded build in Node (app/engine/wasm-threads.ts): it starts with the pool size
 * asked for, and training on it gives the very weights one thread gives (bit for bit), so a run is
 * reproducible from its seed whatever the thread count. Each run is a process of its own.
 */
const exec = promisify(execFile);
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-wasm-threads-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const GRAPH = path.join(tmp, 'two-tasks.json');
const DATA = path.join(tmp, 'train.csv');
writeFileSync(GRAPH, JSON.stringify(twoTaskGraph()));
writeFileSync(DATA, twoTaskCsv(1024, 3));

interface Trained {
  backend: string;
  line: string;
  threads: number;
  loss: number;
  weights: string;
}

async function trainWith(threads: number, workerModule?: string): Promise<Trained> {
  const args = ['--import', 'tsx', 'tests/unit/engine/wasm-threads-child.ts', String(threads), ...(workerModule ? [workerModule] : [])];
  const { stdout } = await exec(process.execPath, args, { timeout: 240_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Trained;
}

describe('wasm threads', () => {
  it('two threads start, and train MMoE to the same weights as one thread, bit for bit', async () => {
    const [one, two] = await Promise.all([trainWith(1), trainWith(2)]);
    expect(one).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(two).toMatchObject({ backend: 'wasm', threads: 2 });
    expect(Number.isFinite(one.loss)).toBe(true);
    expect(two.weights).toBe(one.weights);
    expect(two.loss).toBe(one.loss);
  }, 300_000);

  it('a threaded start that fails falls back to one thread, says why in the backend line, and trains as one thread does', async () => {
    // A pool worker whose module throws while loading (Emscripten rethrows it on the main thread,
    // which ended the process before), and a module file that is not there at all.
    const broken = path.join(tmp, 'broken-pool-module.cjs');
    writeFileSync(broken, 'throw new Error("broken pool module");\n');
    const [one, thrown, missing] = await Promise.all([trainWith(1), trainWith(2, broken), trainWith(2, path.join(tmp, 'no-such-module.cjs'))]);
    expect(one.line).toBe('backend wasm');
    expect(thrown).toMatchObject({ backend: 'wasm', threads: 1, line: 'backend wasm (1 thread: 2 threads could not start: a pool worker failed (broken pool module))' });
    expect(missing.threads).toBe(1);
    expect(missing.line).toMatch(/^backend wasm \(1 thread: 2 threads could not start: ENOENT: no such file or directory, open '.*no-such-module\.cjs'\)$/);
    expect([thrown.weights, missing.weights]).toEqual([one.weights, one.weights]);
  }, 300_000);

  it('the default leaves one core to the window and the OS, and never goes below one thread', () => {
    expect([1, 2, 4, 16].map((cores) => defaultWasmThreads(cores))).toEqual([1, 1, 3, 15]);
  });

  it('refuses a thread count that is not a positive integer', () => {
    expect(() => setWasmThreads(0)).toThrow('wasm threads: expected a positive integer, got 0');
    expect(() => setWasmThreads(1.5)).toThrow('positive integer');
  });
});
