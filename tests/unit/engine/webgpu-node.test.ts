import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { describeAdapter, loadWebgpu, release } from '../../../app/engine/webgpu-node';

/**
 * app/engine/webgpu-node.ts in this process, where Dawn finds no adapter or only a software one
 * (training on it is tests/unit/train/webgpu-node.test.ts): passing WebGPU over gives back every
 * global it set, and a navigator that was there before (Node ≥ 21 has one) is kept, without gpu.
 */
const installed = (() => {
  try {
    createRequire(import.meta.url).resolve('webgpu');
    return true;
  } catch {
    return false;
  }
})();
if (!installed) console.warn('webgpu-node globals test skipped: the optional package webgpu is not installed');

type Holder = Record<string, unknown> & { navigator?: Record<string, unknown> };
const holder = globalThis as unknown as Holder;

describe.skipIf(!installed)('loadWebgpu without a real GPU adapter', () => {
  const hadNavigator = 'navigator' in globalThis;
  afterEach(() => {
    release();
    if (!hadNavigator) delete holder.navigator;
  });

  it.each([
    { what: 'Node 20 (no global navigator)', navigator: undefined },
    { what: 'Node ≥ 21 (a navigator without gpu)', navigator: { userAgent: 'Node.js/22' } },
  ])('passes WebGPU over with the reason and leaves the globals as they were: $what', async ({ navigator }) => {
    if (hadNavigator) return; // This Node has its own navigator; the Node ≥ 21 case below covers it.
    if (navigator) Object.defineProperty(globalThis, 'navigator', { value: { ...navigator }, configurable: true, writable: true });
    const loaded = await loadWebgpu({ allowFallback: false });
    if ('tfjsName' in loaded) return void console.warn(`a real GPU adapter is here (${describeAdapter(loaded.adapter)}): nothing to pass over`);
    expect(loaded.unavailable).toMatch(/^(Dawn found no GPU adapter \(.+\)|only a software adapter \(.+\), ≈150 samples\/s; --backend webgpu forces it)$/);
    expect(holder.GPUBufferUsage).toBeUndefined();
    if (navigator) {
      expect(holder.navigator).toEqual(navigator);
      expect('gpu' in (holder.navigator ?? {})).toBe(false);
    } else {
      expect('navigator' in globalThis).toBe(false);
    }
  });

  it('describes an adapter by vendor, architecture and description', () => {
    expect(describeAdapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200', isFallbackAdapter: false })).toBe('nvidia hopper (NVIDIA H200)');
    expect(describeAdapter({ vendor: '', architecture: '', device: 'swiftshader-device', description: '', isFallbackAdapter: true })).toBe('unknown adapter (swiftshader-device)');
  });
});
