import { installGatherGradient } from './gather-gradient';
import { installWasmKernels } from './wasm-kernels';
import { firstLine, initialiseBackend } from './initialise';
import { describeWasmThreads, startWasm } from './wasm-threads';
import { describeAdapter, loadWebgpu, release as releaseWebgpu, type GpuAdapterInfo } from './webgpu-node';

/**
 * Picks the fastest TensorFlow.js backend this machine can run, in Node:
 * webgpu (Dawn, on a real GPU adapter) → tfjs-node-gpu (CUDA) → tfjs-node (native CPU) → wasm → plain JS cpu.
 * The native packages are optionalDependencies: npm drops them silently where their library cannot
 * be downloaded, so each is tried with a guarded import and the reason it was passed over is kept.
 * webgpu comes first because tfjs-node-gpu needs libtensorflow 2.9 for CUDA 11, which current
 * drivers and distributions no longer carry, while Dawn uses whatever Vulkan/Metal/D3D12 driver
 * the system has. In a Chromium window the equivalents are webgpu / webgl (see backend-browser.ts).
 */
export const NODE_BACKENDS = ['webgpu', 'node-gpu', 'node', 'wasm', 'cpu'] as const;
export type NodeBackendName = (typeof NODE_BACKENDS)[number];

export interface BackendChoice {
  /** Towerflow's name for it, e.g. `wasm`. */
  name: NodeBackendName;
  /** tfjs's registered backend name, e.g. `tensorflow` for both native packages. */
  tfjsName: string;
  /** Why each faster backend was not used. */
  passedOver: { name: NodeBackendName; why: string }[];
  /** The GPU trained on (webgpu only): its vendor, architecture and description go into the log. */
  adapter?: GpuAdapterInfo;
}

/**
 * What a loader brings: the tfjs backend name to select (with the GPU adapter where there is one),
 * or why it will not be used although it loaded (e.g. only a software GPU adapter).
 */
export type LoadedBackend = string | { tfjsName: string; adapter?: GpuAdapterInfo } | { unavailable: string };

/**
 * How each backend is brought in; replaceable in tests. `forced`: the user named this backend, so
 * a choice it would make only by default (passing over a software GPU adapter) is not made.
 */
export type BackendLoaders = Record<NodeBackendName, (context: { forced: boolean }) => Promise<LoadedBackend>>;

// Module names are held in variables so bundlers and type-checkers do not require the optional packages.
const NODE_GPU_MODULE = '@tensorflow/tfjs-node-gpu';
const NODE_MODULE = '@tensorflow/tfjs-node';

export const defaultLoaders: BackendLoaders = {
  webgpu: ({ forced }) => loadWebgpu({ allowFallback: forced }),
  'node-gpu': async () => {
    await import(/* @vite-ignore */ NODE_GPU_MODULE);
    return 'tensorflow';
  },
  node: async () => {
    await import(/* @vite-ignore */ NODE_MODULE);
    return 'tensorflow';
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    return 'wasm';
  },
  cpu: async () => 'cpu',
};

export function parseBackendName(value: string): NodeBackendName | undefined {
  return (NODE_BACKENDS as readonly string[]).includes(value) ? (value as NodeBackendName) : undefined;
}

/**
 * Selects a backend: `forced` if given (an error value if it cannot start), else the first that
 * starts in preference order.
 */
export async function chooseBackend(
  forced?: NodeBackendName,
  loaders: BackendLoaders = defaultLoaders,
): Promise<BackendChoice | { error: string }> {
  installGatherGradient();
  const candidates = forced ? [forced] : [...NODE_BACKENDS];
  const passedOver: BackendChoice['passedOver'] = [];
  for (const name of candidates) {
    const why = await tryStart(name, loaders, forced !== undefined);
    if (typeof why !== 'string') return { name, tfjsName: why.tfjsName, passedOver, ...(why.adapter ? { adapter: why.adapter } : {}) };
    if (forced) return { error: `backend "${name}" cannot start: ${why}` };
    passedOver.push({ name, why });
  }
  return { error: `no TensorFlow.js backend could start: ${passedOver.map((p) => `${p.name}: ${p.why}`).join('; ')}` };
}

async function tryStart(name: NodeBackendName, loaders: BackendLoaders, forced: boolean): Promise<{ tfjsName: string; adapter?: GpuAdapterInfo } | string> {
  let loaded: LoadedBackend;
  try {
    loaded = await loaders[name]({ forced });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
      ? 'not installed (npm skips it where its native library cannot be downloaded)'
      : `failed to load (${firstLine(error)})`;
  }
  if (typeof loaded !== 'string' && 'unavailable' in loaded) return loaded.unavailable;
  const { tfjsName, adapter } = typeof loaded === 'string' ? { tfjsName: loaded, adapter: undefined } : loaded;
  if (tfjsName === 'wasm') installWasmKernels();
  const started = tfjsName === 'wasm' ? await startWasm(await import('@tensorflow/tfjs-backend-wasm'), () => initialiseBackend(tfjsName)) : await initialiseBackend(tfjsName);
  return started === true ? { tfjsName, ...(adapter ? { adapter } : {}) } : started;
}

/**
 * Gives back what a backend holds outside tfjs's tensors — today the WebGPU device and Dawn's
 * globals, which can keep Node's event loop alive — so a command can return to the shell.
 * After it the chosen backend is gone; call chooseBackend again to train more.
 */
export function releaseBackend(): void {
  releaseWebgpu();
}

/** `backend webgpu on nvidia hopper (NVIDIA H200) (passed over — …)`: the log's, summary.json's and the Train tab's words. */
export function describeChoice(choice: BackendChoice): string {
  const skipped = choice.passedOver.map((p) => `${p.name}: ${p.why}`).join('; ');
  const adapter = choice.adapter ? ` on ${describeAdapter(choice.adapter)}${choice.adapter.isFallbackAdapter ? ', a software adapter' : ''}` : '';
  const threadNote = choice.name === 'wasm' ? describeWasmThreads() : undefined;
  const threads = threadNote ? ` (${threadNote})` : '';
  return `backend ${choice.name}${adapter}${threads}${skipped ? ` (passed over — ${skipped})` : ''}`;
}
