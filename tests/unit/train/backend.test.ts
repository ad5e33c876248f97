import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseBackend, defaultLoaders, describeChoice, NODE_BACKENDS, parseBackendName, type BackendLoaders } from '../../../app/engine/backend';

/** Backend choice (app/engine/backend.ts) with fake loaders, and the real order on this machine. */
const NOT_INSTALLED = 'not installed (npm skips it where its native library cannot be downloaded)';

const missing = (name: string, code = 'ERR_MODULE_NOT_FOUND') => async (): Promise<string> => {
  throw Object.assign(new Error(`Cannot find package '${name}' imported from backend.ts`), { code });
};
const broken = (message: string) => async (): Promise<string> => {
  throw new Error(message);
};
// webgpu is left out of these by default: whether Dawn finds an adapter depends on the machine
// (tests/unit/train/webgpu-node.test.ts covers it).
const fake = (overrides: Partial<BackendLoaders>): BackendLoaders => ({ ...defaultLoaders, webgpu: missing('webgpu'), ...overrides });
const NO_WEBGPU = { name: 'webgpu' as const, why: 'not installed (npm skips it where its native library cannot be downloaded)' };

let brokenRegistered = false;
/** A backend that is registered but whose factory throws, like tfjs-node-gpu without a CUDA device. */
function registerBrokenBackend(): string {
  if (!brokenRegistered) {
    tf.registerBackend('towerflow-test-broken', () => {
      throw new Error('no CUDA-capable device is detected');
    });
    brokenRegistered = true;
  }
  return 'towerflow-test-broken';
}

afterAll(async () => {
  await chooseBackend('cpu');
});

describe('chooseBackend with fake loaders', () => {
  it('passes over a package that is not installed and one that fails to load, and says why', async () => {
    const choice = await chooseBackend(undefined, fake({ 'node-gpu': missing('@tensorflow/tfjs-node-gpu'), node: broken('libtensorflow.so.2: cannot open shared object file\n    at dlopen') }));
    expect(choice).toEqual({
      name: 'wasm',
      tfjsName: 'wasm',
      passedOver: [
        NO_WEBGPU,
        { name: 'node-gpu', why: NOT_INSTALLED },
        { name: 'node', why: 'failed to load (libtensorflow.so.2: cannot open shared object file)' },
      ],
    });
    expect(tf.getBackend()).toBe('wasm');
    if ('error' in choice) throw new Error('test bug');
    expect(describeChoice(choice)).toBe(`backend wasm (passed over — webgpu: ${NOT_INSTALLED}; node-gpu: ${NOT_INSTALLED}; node: failed to load (libtensorflow.so.2: cannot open shared object file))`);
  });

  it.each([
    { what: 'a CommonJS MODULE_NOT_FOUND', loader: missing('@tensorflow/tfjs-node', 'MODULE_NOT_FOUND'), why: NOT_INSTALLED },
    { what: 'an error without a code', loader: broken('Illegal instruction'), why: 'failed to load (Illegal instruction)' },
    { what: 'a rejected promise', loader: async (): Promise<string> => Promise.reject(new Error('boom')), why: 'failed to load (boom)' },
    { what: 'a backend name tfjs does not know', loader: async () => 'no-such-backend', why: "failed to initialise (Backend name 'no-such-backend' not found in registry)" },
    { what: 'a registered backend whose set-up fails', loader: async () => registerBrokenBackend(), why: 'registered but failed to initialise' },
  ])('node-gpu passed over for $what, then the next backend starts', async ({ loader, why }) => {
    const choice = await chooseBackend(undefined, fake({ 'node-gpu': loader, node: missing('@tensorflow/tfjs-node'), wasm: missing('@tensorflow/tfjs-backend-wasm') }));
    expect(choice).toEqual({ name: 'cpu', tfjsName: 'cpu', passedOver: [NO_WEBGPU, { name: 'node-gpu', why }, { name: 'node', why: NOT_INSTALLED }, { name: 'wasm', why: NOT_INSTALLED }] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it.each([
    { forced: 'node-gpu' as const, loaders: fake({ 'node-gpu': missing('@tensorflow/tfjs-node-gpu') }), error: `backend "node-gpu" cannot start: ${NOT_INSTALLED}` },
    { forced: 'node' as const, loaders: fake({ node: broken('libtensorflow.so.2: cannot open shared object file') }), error: 'backend "node" cannot start: failed to load (libtensorflow.so.2: cannot open shared object file)' },
    { forced: 'wasm' as const, loaders: fake({ wasm: async () => registerBrokenBackend() }), error: 'backend "wasm" cannot start: registered but failed to initialise' },
  ])('a forced backend that cannot start ($forced) is an error value, and nothing else is tried', async ({ forced, loaders, error }) => {
    let tried = 0;
    const counting = Object.fromEntries(NODE_BACKENDS.map((name) => [name, async (context: { forced: boolean }) => (tried++, loaders[name](context))])) as BackendLoaders;
    expect(await chooseBackend(forced, counting)).toEqual({ error });
    expect(tried).toBe(1);
  });

  it('with nothing able to start, the error lists every backend and why', async () => {
    const result = await chooseBackend(undefined, { webgpu: missing('webgpu'), 'node-gpu': missing('a'), node: missing('b'), wasm: broken('no WebAssembly'), cpu: async () => 'no-such-backend' });
    expect(result).toEqual({
      error: `no TensorFlow.js backend could start: webgpu: ${NOT_INSTALLED}; node-gpu: ${NOT_INSTALLED}; node: ${NOT_INSTALLED}; wasm: failed to load (no WebAssembly); cpu: failed to initialise (Backend name 'no-such-backend' not found in registry)`,
    });
  });
});

describe('the real backends here', () => {
  const installed = (name: string) => {
    try {
      createRequire(import.meta.url).resolve(name);
      return true;
    } catch {
      return false;
    }
  };

  it('the default order picks the first that starts (wasm where there is no GPU and the native packages are absent) and says why the others were passed over', async () => {
    const choice = await chooseBackend();
    if ('error' in choice) throw new Error(choice.error);
    const natives = [installed('@tensorflow/tfjs-node-gpu'), installed('@tensorflow/tfjs-node')];
    // webgpu is tried first: chosen on a real GPU, else passed over with why (no package, no adapter, a software adapter).
    const webgpu = choice.name === 'webgpu' ? undefined : choice.passedOver[0];
    if (choice.name === 'webgpu') expect(choice.adapter?.isFallbackAdapter).toBe(false);
    else expect(webgpu?.name).toBe('webgpu');
    if (choice.name !== 'webgpu' && !natives.some(Boolean)) {
      expect(choice).toEqual({ name: 'wasm', tfjsName: 'wasm', passedOver: [webgpu, { name: 'node-gpu', why: NOT_INSTALLED }, { name: 'node', why: NOT_INSTALLED }] });
      expect(describeChoice(choice)).toBe(`backend wasm (passed over — webgpu: ${webgpu?.why}; node-gpu: ${NOT_INSTALLED}; node: ${NOT_INSTALLED})`);
    }
    // Whatever is installed, the passed-over ones are the faster ones in order, each with a reason.
    expect(choice.passedOver.map((p) => p.name)).toEqual(NODE_BACKENDS.slice(0, choice.passedOver.length));
    choice.passedOver.forEach((p) => expect(p.why).not.toBe(''));
    expect(tf.getBackend()).toBe(choice.tfjsName);
  });

  it.each(['cpu', 'wasm'] as const)('forcing %s selects it, with nothing passed over', async (name) => {
    expect(await chooseBackend(name)).toEqual({ name, tfjsName: name, passedOver: [] });
    expect(tf.getBackend()).toBe(name);
    // The embedding gradient is installed with the backend: a GatherV2 gradient runs on both.
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor1d([1, 1, 2], 'int32'))))(tf.ones([3, 2]));
    expect(grad.arraySync()).toEqual([[0, 0], [2, 2], [1, 1]]);
  });

  it('parseBackendName accepts exactly the five names', () => {
    expect(NODE_BACKENDS.map(parseBackendName)).toEqual(['webgpu', 'node-gpu', 'node', 'wasm', 'cpu']);
    expect(parseBackendName('webgl')).toBeUndefined();
    expect(parseBackendName('CPU')).toBeUndefined();
  });
});
