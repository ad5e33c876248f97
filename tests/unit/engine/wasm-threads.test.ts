import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultWasmThreads, setWasmThreads } from '../../../app/engine/wasm-threads';

/**
 * tfjs-wasm's threaded build in Node (app/engine/wasm-threads.ts): it starts with the pool size
 * asked for, and training on it gives the very weights one thread gives (bit for bit), so a run is
 * reproducible from its seed whatever the thread count. Each run is a process of its own.
 */
const exec = promisify(execFile);

async function trainWith(threads: number): Promise<{ backend: string; threads: number; loss: number; weights: string }> {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'tests/unit/engine/wasm-threads-child.ts', String(threads)], { timeout: 240_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { backend: string; threads: number; loss: number; weights: string };
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

  it('the default leaves one core to the window and the OS, and never goes below one thread', () => {
    expect([1, 2, 4, 16].map((cores) => defaultWasmThreads(cores))).toEqual([1, 1, 3, 15]);
  });

  it('refuses a thread count that is not a positive integer', () => {
    expect(() => setWasmThreads(0)).toThrow('wasm threads: expected a positive integer, got 0');
    expect(() => setWasmThreads(1.5)).toThrow('positive integer');
  });
});
