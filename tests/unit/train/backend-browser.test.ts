import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { browserLoaders, chooseBrowserBackend, describeBrowserChoice, type BrowserBackendLoaders } from '../../../app/engine/backend-browser';

/**
 * The window's backend choice (app/engine/backend-browser.ts) with fake loaders: Node has neither
 * WebGPU nor WebGL, so a loader that "starts" selects the cpu backend under the window's name.
 */
const starts: BrowserBackendLoaders[keyof BrowserBackendLoaders] = async () => ({ tfjsName: 'cpu' });
const unavailable = (why: string): BrowserBackendLoaders[keyof BrowserBackendLoaders] => async () => ({ unavailable: why });

afterEach(() => vi.unstubAllGlobals());
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('chooseBrowserBackend', () => {
  it('takes WebGPU when it starts', async () => {
    expect(await chooseBrowserBackend('auto', { webgpu: starts, webgl: starts })).toEqual({ name: 'webgpu', passedOver: [] });
  });

  it('falls back to WebGL and says why WebGPU was passed over', async () => {
    const choice = await chooseBrowserBackend('auto', { webgpu: unavailable('navigator.gpu is not available'), webgl: starts });
    expect(choice).toEqual({ name: 'webgl', passedOver: [{ name: 'webgpu', why: 'navigator.gpu is not available' }] });
    if ('error' in choice) throw new Error('expected a choice');
    expect(describeBrowserChoice(choice)).toBe('backend webgl (passed over — webgpu: navigator.gpu is not available)');
  });

  it('tries only the backend asked for', async () => {
    expect(await chooseBrowserBackend('webgl', { webgpu: starts, webgl: starts })).toEqual({ name: 'webgl', passedOver: [] });
    expect(await chooseBrowserBackend('webgpu', { webgpu: unavailable('no adapter'), webgl: starts })).toEqual({
      error: 'this window has no GPU backend to train on (webgpu: no adapter); train with engine "node" instead',
    });
  });

  it('reports a loader that throws and a backend that does not start, and has no CPU fallback', async () => {
    const choice = await chooseBrowserBackend('auto', {
      webgpu: async () => {
        throw new Error('chunk failed to load\n  at import');
      },
      webgl: async () => ({ tfjsName: 'towerflow-no-such-backend' }),
    });
    expect(choice).toEqual({
      error: `this window has no GPU backend to train on (webgpu: failed to load (chunk failed to load); webgl: failed to initialise (Backend name 'towerflow-no-such-backend' not found in registry)); train with engine "node" instead`,
    });
  });
});

describe('the real WebGPU loader', () => {
  it('passes over a window without navigator.gpu, and one whose WebGPU has no adapter', async () => {
    vi.stubGlobal('navigator', {});
    expect(await browserLoaders.webgpu()).toEqual({ unavailable: 'navigator.gpu is not available in this window (no WebGPU in this browser, or it is turned off)' });
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => null } });
    expect(await browserLoaders.webgpu()).toEqual({ unavailable: 'WebGPU found no adapter (no usable GPU, or the browser blocks it)' });
  });
});
