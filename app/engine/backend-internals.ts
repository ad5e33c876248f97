import * as tf from '@tensorflow/tfjs';

/**
 * What the engine files here use of tfjs's internals (4.22), typed once: the wasm and cpu backends'
 * data access for hand-written kernels, and the engine's tensor bookkeeping for tensors that share
 * another's data without a kernel launch.
 */
export interface TensorInfo { dataId: object; shape: number[]; dtype: tf.DataType }

export interface WasmBackend {
  /** The Emscripten module; its exports hold the wasm memory (adam-kernel.ts's SIMD path). */
  wasm: { asm?: { memory?: unknown }; wasmExports?: { memory?: unknown }; HEAPU8: Uint8Array };
  disposeData(dataId: object): void;
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export interface CpuBackend {
  data: { get(dataId: object): { values?: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo;
}

interface EngineInternals {
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: TensorInfo, backend?: tf.KernelBackend): tf.Tensor;
  state: { gradientDepth: number; tensorInfo: Map<object, { backend: tf.KernelBackend }> };
}

export const engineInternals = (): EngineInternals => tf.engine() as unknown as EngineInternals;

/**
 * A second tensor on x's data, with `shape` (same size): what the cpu, wasm (sharedIdentity) and GPU
 * Identity kernels and the cpu/wasm Reshape kernels return, made without the kernel launch. The
 * backend's reference count goes up and the engine tracks the new tensor, so disposing it releases
 * that reference as a kernel's output would. Undefined where the engine does not know x's data.
 */
export function sameData(x: tf.Tensor, shape: readonly number[] = x.shape): tf.Tensor | undefined {
  const engine = engineInternals();
  const owner = engine.state.tensorInfo.get(x.dataId)?.backend;
  if (owner === undefined) return undefined;
  owner.incRef(x.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: x.dataId, shape: [...shape], dtype: x.dtype }, owner);
}
