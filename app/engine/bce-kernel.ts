import * as tf from '@tensorflow/tfjs';
import type { CpuBackend, TensorInfo, WasmBackend } from './backend-internals';

/**
 * Binary cross-entropy of probabilities (app/train/session.ts's binaryCrossEntropy) as one kernel
 * forward and one backward on the wasm and cpu backends, where op by op it was ~20 launches per
 * task and step (clip, two logs, four products and sums, the mean; the mask, slope and scale of the
 * gradient), each costing 10–20 µs of JavaScript.
 *
 * The gradient is the op-by-op gradient bit for bit: each float32 operation is rounded with
 * Math.fround in the same order (for −, ×, ÷ of float32 operands, float64 then one rounding is the
 * correctly rounded float32 result), with the float32 clip bounds tfjs makes of 1e-7 and 1 − 1e-7.
 * The loss value is summed in float64 and rounded once: it differs from the op-by-op float32 mean
 * in the last bits only, and it is reported, never differentiated (the weights do not depend on it).
 */
export const BCE_KERNEL = 'TowerflowBinaryCrossEntropy';
export const BCE_GRAD_KERNEL = 'TowerflowBinaryCrossEntropyGrad';

type Inputs = Record<string, TensorInfo | undefined>;
type Arrays = (t: TensorInfo) => ArrayLike<number>;

/** What the kernels compute, on arrays wherever the backend keeps them. */
interface Computation {
  /** Shapes of the outputs, given the inputs. */
  shapes(inputs: TensorInfo[]): number[][];
  run(inputs: ArrayLike<number>[], outputs: Float32Array[]): void;
  inputs: string[];
}

const f = Math.fround;
const LOW = f(1e-7);
const HIGH = f(1 - 1e-7);

const FORWARD: Computation = {
  inputs: ['label', 'prediction'],
  shapes: () => [[]],
  run([label, prediction], [value]) {
    const y = label as ArrayLike<number>;
    const p = prediction as ArrayLike<number>;
    let sum = 0;
    for (let i = 0; i < p.length; i++) {
      const q = Math.min(Math.max(p[i] as number, LOW), HIGH);
      const yi = y[i] as number;
      sum += yi * Math.log(q) + (1 - yi) * Math.log(1 - q);
    }
    (value as Float32Array)[0] = -sum / p.length;
  },
};

/** d loss / d prediction = (q − y) / (q (1 − q)) · [p inside the clip] · dy / n, and zeros for the label. */
const BACKWARD: Computation = {
  inputs: ['label', 'prediction', 'dy'],
  shapes: ([label, prediction]) => [label!.shape, prediction!.shape],
  run([label, prediction, dy], [labelGrad, predictionGrad]) {
    const y = label as ArrayLike<number>;
    const p = prediction as ArrayLike<number>;
    const out = predictionGrad as Float32Array;
    (labelGrad as Float32Array).fill(0);
    const scale = f((dy as ArrayLike<number>)[0]! / p.length);
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] as number;
      const q = Math.min(Math.max(pi, LOW), HIGH);
      const inside = pi >= LOW && pi <= HIGH ? 1 : 0;
      const slope = f(f(q - (y[i] as number)) / f(q * f(1 - q)));
      out[i] = f(slope * inside) * scale;
    }
  },
};

function inputsOf(name: string, computation: Computation, inputs: Inputs): TensorInfo[] {
  return computation.inputs.map((key) => {
    const t = inputs[key];
    if (!t) throw new Error(`Bug: ${name} has no input ${key}`);
    if (t.dtype !== 'float32') throw new Error(`Bug: ${name} takes float32 tensors, ${key} is ${t.dtype}`);
    return t;
  });
}

function wasmKernel(name: string, computation: Computation) {
  return ({ inputs, backend }: { inputs: Inputs; backend: WasmBackend }): TensorInfo[] => {
    const given = inputsOf(name, computation, inputs);
    const outs = computation.shapes(given).map((shape) => backend.makeOutput(shape, 'float32'));
    // Views only after every makeOutput: growing the wasm memory detaches views taken before.
    const view: Arrays = (t) => backend.typedArrayFromHeap(t);
    computation.run(given.map(view), outs.map((t) => view(t) as Float32Array));
    return outs;
  };
}

function cpuKernel(name: string, computation: Computation) {
  return ({ inputs, backend }: { inputs: Inputs; backend: CpuBackend }): TensorInfo[] => {
    const given = inputsOf(name, computation, inputs);
    const view: Arrays = (t) => {
      const values = backend.data.get(t.dataId).values;
      if (!values) throw new Error(`Bug: ${name}: an input has no values on cpu`);
      return values;
    };
    const shapes = computation.shapes(given);
    const targets = shapes.map((shape) => new Float32Array(shape.reduce((n, d) => n * d, 1)));
    computation.run(given.map(view), targets);
    return shapes.map((shape, i) => backend.makeTensorInfo(shape, 'float32', targets[i] as Float32Array));
  };
}

let installed = false;

/** Registers both kernels for wasm and cpu (once). */
function install(): void {
  if (installed) return;
  installed = true;
  for (const [name, computation] of [[BCE_KERNEL, FORWARD], [BCE_GRAD_KERNEL, BACKWARD]] as const) {
    // The engine types backend and attrs loosely; these are the wasm and cpu backends.
    if (!tf.getKernel(name, 'wasm')) tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: wasmKernel(name, computation) as unknown as tf.KernelFunc });
    if (!tf.getKernel(name, 'cpu')) tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: cpuKernel(name, computation) as unknown as tf.KernelFunc });
  }
}

/** Whether the current backend has the kernels (wasm and cpu do). */
export function hasBceKernels(): boolean {
  install();
  return tf.getKernel(BCE_KERNEL, tf.getBackend()) !== undefined;
}

/** The mean binary cross-entropy of the clipped predictions: a scalar. */
export function bceValue(label: tf.Tensor, prediction: tf.Tensor): tf.Scalar {
  // A kernel that answers a list answers a list of one.
  const [value] = tf.engine().runKernel(BCE_KERNEL, { label, prediction }, {}) as unknown as [tf.Scalar];
  return value;
}

/** The gradients for label (zeros) and prediction, given the loss's upstream gradient dy. */
export const bceGradients = (label: tf.Tensor, prediction: tf.Tensor, dy: tf.Scalar): [tf.Tensor, tf.Tensor] =>
  tf.engine().runKernel(BCE_GRAD_KERNEL, { label, prediction, dy }, {}) as unknown as [tf.Tensor, tf.Tensor];
