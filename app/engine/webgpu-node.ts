import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * WebGPU in the Node process through Dawn's own bindings (the optional npm package `webgpu`, a
 * prebuilt dawn.node). tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when it
 * is first imported, so the globals are set here first and the backend is imported after.
 *
 * Dawn picks the system's Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver; nothing here
 * points it anywhere (tests point Vulkan at SwiftShader through VK_ICD_FILENAMES in the child's
 * environment, never the app). A fallback adapter — a CPU rasteriser such as SwiftShader — trains
 * at ≈150 samples/s, far below wasm, so it is used only when asked for by name.
 */

/** What the adapter says about itself: shown in the log, summary.json and the Train tab. */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export type WebgpuLoad = { tfjsName: 'webgpu'; adapter: GpuAdapterInfo } | { unavailable: string; adapter?: GpuAdapterInfo };

// Typed locally: app/ has no DOM or @webgpu/types, and only these members are used.
interface Device {
  destroy(): void;
}
interface Adapter {
  info?: Partial<Record<keyof GpuAdapterInfo, unknown>>;
  isFallbackAdapter?: boolean;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<Device>;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<Adapter | null>;
}
interface DawnModule {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}
interface WebgpuBackendModule {
  WebGPUBackend: new (device: Device, adapterInfo: unknown) => tf.KernelBackend;
}
type NavigatorHolder = { navigator?: { gpu?: unknown } };

// Held in a variable so type-checkers and bundlers do not require the optional package.
const DAWN_MODULE = 'webgpu';

/** What this module put on globalThis and the device it made, so release() can undo exactly that. */
let installed: { names: string[]; navigator: 'created' | 'extended'; device?: Device } | undefined;

/**
 * Loads Dawn, asks for the high-performance adapter and, when it is a real GPU (or `allowFallback`),
 * registers tfjs's WebGPU backend on a device from that same adapter (so the adapter reported is
 * the one trained on, and release() can destroy the device). Throws only what importing a package
 * throws, so backend.ts can tell "not installed" from "failed to load"; no adapter, or a passed-over
 * one, is a value.
 */
export async function loadWebgpu(options: { allowFallback: boolean }): Promise<WebgpuLoad> {
  const dawn = (await import(/* @vite-ignore */ DAWN_MODULE)) as DawnModule;
  // Without a Vulkan loader Dawn finds no adapter anyway, and prints "Couldn't load Vulkan" to
  // stderr on every backend choice: say why here instead, without asking it.
  if (process.platform === 'linux' && !hasVulkanLoader()) return { unavailable: `Dawn found no GPU adapter (${noAdapterHint()})` };
  const gpu = installGlobals(dawn);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    release();
    return { unavailable: `Dawn found no GPU adapter (${noAdapterHint()})` };
  }
  const info = adapterInfo(adapter);
  if (info.isFallbackAdapter && !options.allowFallback) {
    release();
    return { unavailable: `only a software adapter (${describeAdapter(info)}), ≈150 samples/s; --backend webgpu forces it`, adapter: info };
  }
  // Imported only now: the module registers its own 'webgpu' factory when navigator.gpu exists at
  // its first import, and is several MB that a machine without a GPU never needs.
  const { WebGPUBackend } = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as WebgpuBackendModule;
  // The same device request as that factory (tfjs-backend-webgpu base.ts), on the adapter inspected
  // above; timestamp queries let tf.profile split kernel time from the loop's (bench/gpu.ts).
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: Object.fromEntries(
      ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'].map((name) => [name, limits[name] ?? 0]),
    ),
  });
  if (installed) installed.device = device;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info));
  return { tfjsName: 'webgpu', adapter: info };
}

/**
 * Lets the process exit: Dawn keeps Node's event loop alive while a device or `navigator.gpu` is
 * reachable. Removes the tfjs backend, destroys its device and takes away the globals loadWebgpu
 * set. Safe to call when nothing was loaded; loadWebgpu works again afterwards.
 */
export function release(): void {
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  if (!installed) return;
  installed.device?.destroy();
  const holder = globalThis as NavigatorHolder & Record<string, unknown>;
  for (const name of installed.names) delete holder[name];
  if (installed.navigator === 'created') delete holder.navigator;
  else if (holder.navigator) delete holder.navigator.gpu;
  installed = undefined;
}

/** The adapter in a few words for logs: `nvidia hopper (NVIDIA H200)`, `google swiftshader (SwiftShader driver 5.0.0)`. */
export function describeAdapter(info: GpuAdapterInfo): string {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const detail = info.description || info.device;
  return `${name}${detail ? ` (${detail})` : ''}`;
}

function installGlobals(dawn: DawnModule): Gpu {
  const holder = globalThis as NavigatorHolder & Record<string, unknown>;
  if (installed && holder.navigator?.gpu) return holder.navigator.gpu as Gpu;
  const gpu = dawn.create([]);
  // GPUBufferUsage, GPUMapMode, GPUTextureUsage …: tfjs-backend-webgpu reads them as globals.
  // Names that already exist (a browser-like test environment) are left alone.
  const names = Object.keys(dawn.globals).filter((name) => !(name in holder));
  for (const name of names) holder[name] = dawn.globals[name];
  // Node ≥ 21 has a global navigator (a getter on globalThis, without gpu): extend it rather than
  // replace it; Node 20 has none.
  if (holder.navigator) {
    Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
    installed = { names, navigator: 'extended' };
  } else {
    Object.defineProperty(holder, 'navigator', { value: { gpu }, configurable: true, writable: true });
    installed = { names, navigator: 'created' };
  }
  return gpu;
}

function adapterInfo(adapter: Adapter): GpuAdapterInfo {
  const info = adapter.info ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    vendor: text(info.vendor),
    architecture: text(info.architecture),
    device: text(info.device),
    description: text(info.description),
    // GPUAdapterInfo.isFallbackAdapter is the current spec; GPUAdapter.isFallbackAdapter the older one.
    isFallbackAdapter: info.isFallbackAdapter === true || adapter.isFallbackAdapter === true,
  };
}

function noAdapterHint(): string {
  if (process.platform === 'linux') return 'no Vulkan driver found: it needs libvulkan.so.1 (Debian/Ubuntu: libvulkan1) and the GPU’s Vulkan driver (NVIDIA: the driver’s Vulkan ICD)';
  if (process.platform === 'win32') return 'no Direct3D 12 or Vulkan GPU';
  return 'no Metal GPU';
}

/** Where the dynamic loader would find libvulkan.so.1: LD_LIBRARY_PATH, then the usual library folders. */
function hasVulkanLoader(): boolean {
  const folders = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib/x86_64-linux-gnu',
    '/lib/aarch64-linux-gnu',
    '/lib64',
    '/usr/local/lib',
  ];
  return folders.some((folder) => existsSync(join(folder, 'libvulkan.so.1')));
}
