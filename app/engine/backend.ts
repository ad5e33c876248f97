import { installGatherGradient } from './gather-gradient';
import { installWasmKernels } from './wasm-kernels';
import { firstLine, initialiseBackend } from './initialise';

/**
 * Picks the fastest TensorFlow.js backend this machine can run, in Node:
 * tfjs-node-gpu (CUDA) → tfjs-node (native CPU) → wasm → plain JS cpu.
 * The native packages are optionalDependencies: npm drops them silently where their library cannot
 * be downloaded, so each is tried with a guarded import and the reason it was passed over is kept.
 * In a Chromium window the equivalents are webgpu / webgl (see backend-browser.ts).
 */
export const NODE_BACKENDS = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type NodeBackendName = (typeof NODE_BACKENDS)[number];

export interface BackendChoice {
  /** Towerflow's name for it, e.g. `wasm`. */
  name: NodeBackendName;
  /** tfjs's registered backend name, e.g. `tensorflow` for both native packages. */
  tfjsName: string;
  /** Why each faster backend was not used. */
  passedOver: { name: NodeBackendName; why: string }[];
}

/** How each backend is brought in; replaceable in tests. Returns the tfjs backend name to select. */
export type BackendLoaders = Record<NodeBackendName, () => Promise<string>>;

// Module names are held in variables so bundlers and type-checkers do not require the optional packages.
const NODE_GPU_MODULE = '@tensorflow/tfjs-node-gpu';
const NODE_MODULE = '@tensorflow/tfjs-node';

export const defaultLoaders: BackendLoaders = {
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
    const why = await tryStart(name, loaders);
    if (typeof why !== 'string') return { name, tfjsName: why.tfjsName, passedOver };
    if (forced) return { error: `backend "${name}" cannot start: ${why}` };
    passedOver.push({ name, why });
  }
  return { error: `no TensorFlow.js backend could start: ${passedOver.map((p) => `${p.name}: ${p.why}`).join('; ')}` };
}

async function tryStart(name: NodeBackendName, loaders: BackendLoaders): Promise<{ tfjsName: string } | string> {
  let tfjsName: string;
  try {
    tfjsName = await loaders[name]();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
      ? 'not installed (npm skips it where its native library cannot be downloaded)'
      : `failed to load (${firstLine(error)})`;
  }
  if (tfjsName === 'wasm') installWasmKernels();
  const started = await initialiseBackend(tfjsName);
  return started === true ? { tfjsName } : started;
}

export function describeChoice(choice: BackendChoice): string {
  const skipped = choice.passedOver.map((p) => `${p.name}: ${p.why}`).join('; ');
  return `backend ${choice.name}${skipped ? ` (passed over — ${skipped})` : ''}`;
}
