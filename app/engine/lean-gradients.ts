import * as tf from '@tensorflow/tfjs';
import { engineInternals, sameData } from './backend-internals';

/**
 * tfjs-core's (4.22) gradients of Add, Sub, Multiply, Reshape and Relu with the kernels that change
 * nothing left out, on the cpu and wasm backends:
 *
 * - Add and Sub reshape each input's gradient to the input's shape, also when it already has it,
 *   and Reshape's gradient is a reshape: on cpu and wasm a reshape is a second reference to the
 *   same data, so here it is made without a kernel launch (same data, new shape).
 * - Multiply and Relu cast a float32 tensor to float32 before multiplying (a Cast launch each).
 *
 * In census MMoE's training step these were 31 of ~200 kernel launches (bench/profile-step.ts),
 * each costing the engine's dispatch, profiling and scope bookkeeping. The arithmetic is the stock
 * gradients' operation for operation, so weights are bit for bit the same
 * (tests/unit/engine/lean-gradients.test.ts).
 *
 * Other backends keep the stock gradients (WebGL's reshape of a packed texture is a real copy),
 * and so do gradients recorded for a gradient of a gradient (a kernel-free reshape is not on the
 * tape).
 */
const LEAN_BACKENDS = new Set(['cpu', 'wasm']);
/** tfjs's own gradient configs while the lean ones are registered. */
let stockConfigs: tf.GradConfig[] | undefined;

/** x with `shape`, sharing its data without a kernel launch (what cpu's and wasm's Reshape do). */
function reshaped(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  // Only the lean gradients (cpu, wasm) call this; a gradient taped for a gradient of it needs the op.
  return (engineInternals().state.gradientDepth === 0 ? sameData(x, shape) : undefined) ?? tf.reshape(x, [...shape]);
}

const asFloat = (x: tf.Tensor): tf.Tensor => (x.dtype === 'float32' ? x : tf.cast(x, 'float32'));

/** The gradient `dy` of a broadcasting op, summed over the axes `input` was broadcast along. */
function reducedTo(dy: tf.Tensor, input: tf.Tensor, outShape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(input.shape, outShape);
  const summed = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return reshaped(summed, input.shape);
}

type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;

/** Registers the lean gradients (once); each falls back on the stock one off cpu and wasm. */
export function installLeanGradients(): void {
  if (stockConfigs) return;
  stockConfigs = [];
  const lean: Record<string, GradFunc> = {
    Add: (dy, [a, b]) => {
      const out = tf.backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
      return { a: () => reducedTo(dy, a!, out), b: () => reducedTo(dy, b!, out) };
    },
    Sub: (dy, [a, b]) => {
      const out = tf.backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
      return {
        a: () => reducedTo(dy, a!, out),
        b: () => {
          const axes = tf.backend_util.getReductionAxes(b!.shape, out);
          return reshaped(tf.neg(axes.length > 0 ? tf.sum(dy, axes) : dy), b!.shape);
        },
      };
    },
    Multiply: (dy, [a, b]) => {
      const out = tf.backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
      const side = (self: tf.Tensor, other: tf.Tensor) => () => {
        const product = tf.mul(dy, asFloat(other));
        const axes = tf.backend_util.getReductionAxes(self.shape, out);
        return axes.length > 0 ? reshaped(tf.sum(product, axes), self.shape) : product;
      };
      return { a: side(a!, b!), b: side(b!, a!) };
    },
    Reshape: (dy, [x]) => ({ x: () => reshaped(dy, x!.shape) }),
    Relu: (dy, [x]) => ({ x: () => tf.mul(dy, asFloat(tf.step(x!))) }),
  };
  for (const [kernelName, gradFunc] of Object.entries(lean)) {
    const stock = tf.getGradient(kernelName);
    if (!stock) continue;
    stockConfigs.push(stock);
    tf.registerGradient({
      ...stock,
      gradFunc: (dy, saved, attrs) =>
        LEAN_BACKENDS.has(tf.getBackend()) ? gradFunc(dy as tf.Tensor, saved) : (stock.gradFunc(dy, saved, attrs) as Record<string, () => tf.Tensor>),
    });
  }
}

/** Registers tfjs's own gradients again (the tests compare against them). */
export function uninstallLeanGradients(): void {
  for (const stock of stockConfigs ?? []) tf.registerGradient(stock);
  stockConfigs = undefined;
}
