import { installGatherGradient } from './gather-gradient';
import { firstLine, initialiseBackend } from './initialise';

/**
 * Picks the GPU backend for training in a Chromium window (engine "browser"): WebGPU where the
 * window has it, else WebGL (WebGL2; in a Web Worker through OffscreenCanvas). The reason a
 * backend was passed over is kept and shown, as the Node choice (backend.ts) does. There is no
 * CPU fallback on purpose: training on the window's CPU is slower than engine "node" on the same
 * machine, so a window without a GPU backend is told to use that instead.
 *
 * No DOM types: `navigator` is read from globalThis, so this runs in a page, a worker, or Node tests.
 */
export const BROWSER_BACKENDS = ['webgpu', 'webgl'] as const;
export type BrowserBackendName = (typeof BROWSER_BACKENDS)[number];
export type BrowserBackendPreference = 'auto' | BrowserBackendName;

export interface BrowserBackendChoice {
  name: BrowserBackendName;
  passedOver: { name: BrowserBackendName; why: string }[];
}

/** Brings a backend in: the tfjs backend name to select, or why it is not available here. */
export type BrowserBackendLoaders = Record<BrowserBackendName, () => Promise<{ tfjsName: string } | { unavailable: string }>>;

/** The part of WebGPU looked at here (typed locally: app/ has no DOM types). */
type Gpu = { requestAdapter(): Promise<unknown> };
const navigatorGpu = (): Gpu | undefined => (globalThis as { navigator?: { gpu?: Gpu | null } }).navigator?.gpu ?? undefined;

export const browserLoaders: BrowserBackendLoaders = {
  webgpu: async () => {
    const gpu = navigatorGpu();
    if (!gpu) return { unavailable: 'navigator.gpu is not available in this window (no WebGPU in this browser, or it is turned off)' };
    // Asked here too: tfjs would only say the backend "failed to initialise" (and warn in the console).
    if (!(await gpu.requestAdapter())) return { unavailable: 'WebGPU found no adapter (no usable GPU, or the browser blocks it)' };
    // Loaded only when WebGPU can run: the backend is large and useless elsewhere.
    await import('@tensorflow/tfjs-backend-webgpu');
    return { tfjsName: 'webgpu' };
  },
  // Part of @tensorflow/tfjs, registered wherever a canvas (or OffscreenCanvas) can be made.
  webgl: async () => ({ tfjsName: 'webgl' }),
};

export async function chooseBrowserBackend(prefer: BrowserBackendPreference = 'auto', loaders: BrowserBackendLoaders = browserLoaders): Promise<BrowserBackendChoice | { error: string }> {
  installGatherGradient();
  const candidates = prefer === 'auto' ? [...BROWSER_BACKENDS] : [prefer];
  const passedOver: BrowserBackendChoice['passedOver'] = [];
  for (const name of candidates) {
    const why = await tryStart(name, loaders);
    if (why === undefined) return { name, passedOver };
    passedOver.push({ name, why });
  }
  const reasons = passedOver.map((p) => `${p.name}: ${p.why}`).join('; ');
  return { error: `this window has no GPU backend to train on (${reasons}); train with engine "node" instead` };
}

async function tryStart(name: BrowserBackendName, loaders: BrowserBackendLoaders): Promise<string | undefined> {
  let loaded: Awaited<ReturnType<BrowserBackendLoaders[BrowserBackendName]>>;
  try {
    loaded = await loaders[name]();
  } catch (error) {
    return `failed to load (${firstLine(error)})`;
  }
  if ('unavailable' in loaded) return loaded.unavailable;
  const started = await initialiseBackend(loaded.tfjsName);
  return started === true ? undefined : started;
}

/** The same words as the Node choice: `backend webgl (passed over — webgpu: …)`. */
export function describeBrowserChoice(choice: BrowserBackendChoice): string {
  const skipped = choice.passedOver.map((p) => `${p.name}: ${p.why}`).join('; ');
  return `backend ${choice.name}${skipped ? ` (passed over — ${skipped})` : ''}`;
}
