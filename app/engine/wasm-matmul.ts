import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm (4.22) multiplies matrices with XNNPACK only when neither operand is
 * transposed; with transposeA or transposeB it falls to a scalar loop (`slow_batch_matmul`,
 * ≈2.3 GFLOP/s here against 15–29 for XNNPACK). Every dense layer's backward pass asks for exactly
 * those products (dW = xᵀ·dy, dx = dy·Wᵀ), so on wasm they were most of a training step
 * (bench/profile-step.ts: BatchMatMul 69 of 119 ms of kernel time per census MMoE step at batch 512).
 *
 * This wraps the wasm BatchMatMul and _FusedMatMul kernels: a transposed operand is first
 * transposed explicitly (one wasm Transpose, a copy) and the product runs untransposed. Same
 * numbers (the same sums in the same order of the inner dimension), same kernel names, so
 * gradients and profiles are unchanged; other backends keep their kernels.
 */
const KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
let installed = false;

interface WasmTensorInfo { dataId: object; shape: number[]; dtype: tf.DataType }
interface WasmBackendLike { disposeData(dataId: object): void }
type KernelArgs = { inputs: Record<string, WasmTensorInfo | undefined>; backend: WasmBackendLike; attrs: Record<string, unknown> };

export function installWasmMatMul(): void {
  if (installed) return;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return; // the wasm backend is not registered in this bundle
  for (const name of KERNELS) {
    const stock = tf.getKernel(name, 'wasm');
    if (!stock) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...stock,
      kernelFunc: (raw) => {
        const args = raw as unknown as KernelArgs;
        const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
        if (!transposeA && !transposeB) return stock.kernelFunc(raw);
        const made: WasmTensorInfo[] = [];
        const swapLastTwo = (x: WasmTensorInfo): WasmTensorInfo => {
          const rank = x.shape.length;
          const perm = [...Array(rank).keys()];
          [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
          const out = transpose.kernelFunc({ inputs: { x }, backend: args.backend, attrs: { perm } } as unknown as tf.NamedAttrMap as never) as unknown as WasmTensorInfo;
          made.push(out);
          return out;
        };
        const a = args.inputs.a;
        const b = args.inputs.b;
        if (!a || !b) return stock.kernelFunc(raw);
        const inputs = { ...args.inputs, a: transposeA ? swapLastTwo(a) : a, b: transposeB ? swapLastTwo(b) : b };
        try {
          return stock.kernelFunc({ ...raw, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } } as never);
        } finally {
          for (const t of made) args.backend.disposeData(t.dataId);
        }
      },
    });
  }
  installed = true;
}
