import * as tf from '@tensorflow/tfjs';
import type { CpuBackend, TensorInfo, WasmBackend } from './backend-internals';
import { assembleModule, F32, get, I32, leb, onHeap, set, simd, V128 } from './wasm-module';

/**
 * The whole Adam update of GroupedAdam (app/train/grouped-adam.ts) as one kernel, on the wasm and
 * cpu backends. Done op by op, the update is ~17 elementwise kernels on one flat vector, plus a
 * reshape of every gradient and every variable, a concat of each, a split and a reshape back: for
 * census MMoE (13 variables) 59 of a step's 188 kernels, each launch some microseconds of engine
 * bookkeeping in JavaScript. Here the gradients, the values and the flat moments are read where
 * they lie and the new values are written into new outputs, one per variable: census MMoE's update
 * (28,050 weights, wasm) 390 → 70–110 µs.
 *
 * Results are bit for bit those of the op-by-op path. Every stock kernel rounds to float32 after
 * each operation; on cpu each operation here is rounded with Math.fround, in the same order (for
 * +, −, ×, ÷ and √ of float32 operands, computing in float64 and rounding once to float32 gives
 * the correctly rounded float32 result: float64 has more than 2·24 + 2 bits). On wasm the same
 * IEEE float32 operations run in wasm (see wasmUpdate). The constants are the float32 scalars
 * tfjs makes of the JS numbers the op-by-op path passes (floatConstants).
 *
 * The outputs are new data, never the inputs' buffers: a variable's data may be shared by its
 * clones (the engine's saved tensors, the best epoch's weights; see sharedIdentity in
 * wasm-kernels.ts), so the caller assigns the outputs to the variables.
 */
export const ADAM_KERNEL = 'TowerflowGroupedAdamUpdate';

/** The JS numbers of one update, as the op-by-op path passes them to tfjs. */
export interface AdamScalars {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

type Inputs = Record<string, TensorInfo | undefined>;
type Attrs = AdamScalars & { count: number };

let installed = false;

/** Registers the kernel for wasm and cpu (once); other backends keep the op-by-op update. */
export function installAdamKernel(): void {
  if (installed) return;
  installed = true;
  if (!tf.getKernel(ADAM_KERNEL, 'wasm')) {
    tf.registerKernel({
      kernelName: ADAM_KERNEL,
      backendName: 'wasm',
      // The engine types backend and attrs loosely; these are the wasm backend and our own attrs.
      kernelFunc: (({ inputs, backend, attrs }: { inputs: Inputs; backend: WasmBackend; attrs: Attrs }) => wasmUpdate(inputs, backend, attrs)) as unknown as tf.KernelFunc,
    });
  }
  if (!tf.getKernel(ADAM_KERNEL, 'cpu')) {
    tf.registerKernel({
      kernelName: ADAM_KERNEL,
      backendName: 'cpu',
      kernelFunc: (({ inputs, backend, attrs }: { inputs: Inputs; backend: CpuBackend; attrs: Attrs }) => cpuUpdate(inputs, backend, attrs)) as unknown as tf.KernelFunc,
    });
  }
}

/** Whether the current backend runs the update as one kernel. */
export function hasAdamKernel(): boolean {
  installAdamKernel();
  return tf.getKernel(ADAM_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * One Adam step: the new value of each variable (in its shape), the new flat moments and the new
 * accumulated betas, all float32. The moments are laid out as the variables are listed.
 */
export function adamUpdate(
  gradients: readonly tf.Tensor[],
  variables: readonly tf.Variable[],
  moments: { m: tf.Tensor; v: tf.Tensor; accBeta1: tf.Tensor; accBeta2: tf.Tensor },
  scalars: AdamScalars,
): { values: tf.Tensor[]; m: tf.Tensor; v: tf.Tensor; accBeta1: tf.Tensor; accBeta2: tf.Tensor } {
  const count = variables.length;
  const inputs: Record<string, tf.Tensor> = { m: moments.m, v: moments.v, accBeta1: moments.accBeta1, accBeta2: moments.accBeta2 };
  variables.forEach((variable, i) => {
    inputs[`x${i}`] = variable;
    inputs[`g${i}`] = gradients[i] as tf.Tensor;
  });
  const attrs: Attrs = { count, ...scalars };
  // NamedAttrMap has no room for an interface without an index signature: these are plain numbers.
  const outputs = tf.engine().runKernel(ADAM_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { values: outputs.slice(0, count), m: outputs[count] as tf.Tensor, v: outputs[count + 1] as tf.Tensor, accBeta1: outputs[count + 2] as tf.Tensor, accBeta2: outputs[count + 3] as tf.Tensor };
}

/** The inputs in order, checked; a missing input is a bug in adamUpdate. */
function listInputs(inputs: Inputs, count: number): { gradients: TensorInfo[]; values: TensorInfo[]; m: TensorInfo; v: TensorInfo; accBeta1: TensorInfo; accBeta2: TensorInfo } {
  const get = (name: string): TensorInfo => {
    const t = inputs[name];
    if (!t) throw new Error(`Bug: ${ADAM_KERNEL} has no input ${name}`);
    if (t.dtype !== 'float32') throw new Error(`Bug: ${ADAM_KERNEL} takes float32 tensors, ${name} is ${t.dtype}`);
    return t;
  };
  const indices = Array.from({ length: count }, (_, i) => i);
  const listed = { gradients: indices.map((i) => get(`g${i}`)), values: indices.map((i) => get(`x${i}`)), m: get('m'), v: get('v'), accBeta1: get('accBeta1'), accBeta2: get('accBeta2') };
  // The loops read as many gradients as values, and the moments end to end: a mismatch would read past them.
  const size = (t: TensorInfo) => t.shape.reduce((n, d) => n * d, 1);
  const sizes = listed.values.map(size);
  if (listed.gradients.some((g, i) => size(g) !== sizes[i])) throw new Error(`Bug: ${ADAM_KERNEL}: a gradient's size differs from its variable's`);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (size(listed.m) !== total || size(listed.v) !== total) throw new Error(`Bug: ${ADAM_KERNEL}: moments of ${size(listed.m)} for ${total} weights`);
  return listed;
}

const outputShapes = (values: TensorInfo[], m: TensorInfo): number[][] => [...values.map((x) => x.shape), m.shape, m.shape, [], []];

/**
 * On wasm the update runs in a small wasm module of our own (simdAdam) on the backend's memory:
 * float32 SIMD operations, each of them the IEEE operation XNNPACK's loops use in the stock
 * kernels, in the op-by-op path's order. Without it (no SIMD, or a memory we cannot reach, as in
 * the threaded build) the stock kernels are called directly (stockUpdate).
 */
function wasmUpdate(inputs: Inputs, backend: WasmBackend, attrs: Attrs): TensorInfo[] {
  const adam = simdAdam(backend);
  return adam ? simdUpdate(inputs, backend, attrs, adam) : stockUpdate(inputs, backend, attrs);
}

function simdUpdate(inputs: Inputs, backend: WasmBackend, attrs: Attrs, adam: AdamFunction): TensorInfo[] {
  const { gradients, values, m, v, accBeta1, accBeta2 } = listInputs(inputs, attrs.count);
  const outs = outputShapes(values, m).map((shape) => backend.makeOutput(shape, 'float32'));
  // Views (and addresses) only after every makeOutput: growing the wasm memory detaches views taken before.
  const read = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  const address = (t: TensorInfo) => read(t).byteOffset;
  const c = floatConstants(attrs, read(accBeta1)[0] as number, read(accBeta2)[0] as number);
  const [mAt, vAt, newMAt, newVAt] = [m, v, outs[attrs.count] as TensorInfo, outs[attrs.count + 1] as TensorInfo].map(address) as [number, number, number, number];
  let at = 0;
  values.forEach((x, k) => {
    const n = x.shape.reduce((p, d) => p * d, 1);
    adam(address(gradients[k] as TensorInfo), address(x), mAt + 4 * at, vAt + 4 * at, address(outs[k] as TensorInfo), newMAt + 4 * at, newVAt + 4 * at, n,
      c.beta1, c.oneMinusBeta1, c.beta2, c.oneMinusBeta2, c.oneMinusAccBeta1, c.oneMinusAccBeta2, c.epsilon, c.negativeRate);
    at += n;
  });
  read(outs[attrs.count + 2] as TensorInfo)[0] = c.newAccBeta1;
  read(outs[attrs.count + 3] as TensorInfo)[0] = c.newAccBeta2;
  return outs;
}

/**
 * The stock kernels' code (XNNPACK's float32 loops) called directly on one flat gradient and one
 * flat value vector: the engine's bookkeeping of each launch is skipped, the loops are not.
 * (Element by element in JavaScript, the three float32 divisions and the square root, done in
 * float64 and rounded, cost 11 ns an element: census MMoE's 28,050 weights took 450 µs, more than
 * the op-by-op path's 380.) The operations and their operands' shapes are the op-by-op path's.
 */
function stockUpdate(inputs: Inputs, backend: WasmBackend, attrs: Attrs): TensorInfo[] {
  const { gradients, values, m, v, accBeta1, accBeta2 } = listInputs(inputs, attrs.count);
  const temporary: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => (temporary.push(t), t);
  const read = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  try {
    const constants = floatConstants(attrs, read(accBeta1)[0] as number, read(accBeta2)[0] as number);
    const scalar = (value: number): TensorInfo => {
      const t = keep(backend.makeOutput([], 'float32'));
      read(t)[0] = value;
      return t;
    };
    const flat = (pieces: TensorInfo[]): TensorInfo => {
      const out = keep(backend.makeOutput(m.shape, 'float32'));
      let at = 0;
      // Views after the makeOutput: growing the wasm memory detaches views taken before.
      const target = read(out);
      for (const piece of pieces) {
        const source = read(piece);
        target.set(source, at);
        at += source.length;
      }
      return out;
    };
    const gradient = flat(gradients);
    const value = flat(values);
    const run = (name: string, args: Record<string, TensorInfo>): TensorInfo => keep(stockKernel(name)({ inputs: args, backend, attrs: {} }));
    const binary = (name: string, a: TensorInfo, b: TensorInfo) => run(name, { a, b });
    const newM = binary('Add', binary('Multiply', m, scalar(constants.beta1)), binary('Multiply', gradient, scalar(constants.oneMinusBeta1)));
    const newV = binary('Add', binary('Multiply', v, scalar(constants.beta2)), binary('Multiply', run('Square', { x: gradient }), scalar(constants.oneMinusBeta2)));
    const mHat = binary('RealDiv', newM, scalar(constants.oneMinusAccBeta1));
    const vHat = binary('RealDiv', newV, scalar(constants.oneMinusAccBeta2));
    const denominator = binary('Add', run('Sqrt', { x: vHat }), scalar(constants.epsilon));
    const newValue = binary('Add', binary('Multiply', binary('RealDiv', mHat, denominator), scalar(constants.negativeRate)), value);
    const outs = [...values.map((x) => backend.makeOutput(x.shape, 'float32')), newM, newV, backend.makeOutput([], 'float32'), backend.makeOutput([], 'float32')];
    const source = read(newValue);
    let at = 0;
    values.forEach((_, i) => {
      const target = read(outs[i] as TensorInfo);
      target.set(source.subarray(at, at + target.length));
      at += target.length;
    });
    read(outs[attrs.count + 2] as TensorInfo)[0] = constants.newAccBeta1;
    read(outs[attrs.count + 3] as TensorInfo)[0] = constants.newAccBeta2;
    temporary.splice(temporary.indexOf(newM), 1);
    temporary.splice(temporary.indexOf(newV), 1);
    return outs;
  } finally {
    for (const t of temporary) backend.disposeData(t.dataId);
  }
}

type StockKernel = (args: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: Record<string, never> }) => TensorInfo;

function stockKernel(name: string): StockKernel {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`Bug: no wasm kernel ${name} for ${ADAM_KERNEL}`);
  // The registry types kernels loosely; these are tfjs-wasm's unary and binary float kernels.
  return kernel.kernelFunc as unknown as StockKernel;
}

/**
 * The float32 scalars tfjs makes of the JS numbers the op-by-op path passes (1 - beta1 is
 * subtracted in float64 first), and those it computes from the accumulated betas.
 */
function floatConstants(scalars: AdamScalars, accBeta1: number, accBeta2: number) {
  const f = Math.fround;
  const beta1 = f(scalars.beta1);
  const beta2 = f(scalars.beta2);
  return {
    beta1,
    beta2,
    oneMinusBeta1: f(1 - scalars.beta1),
    oneMinusBeta2: f(1 - scalars.beta2),
    epsilon: f(scalars.epsilon),
    negativeRate: f(-scalars.learningRate),
    // tf.sub(1, accBeta): float32 1 minus the float32 accumulator, one rounding.
    oneMinusAccBeta1: f(1 - accBeta1),
    oneMinusAccBeta2: f(1 - accBeta2),
    // tf.mul(accBeta, beta): exact in float64, one rounding.
    newAccBeta1: f(accBeta1 * beta1),
    newAccBeta2: f(accBeta2 * beta2),
  };
}

function cpuUpdate(inputs: Inputs, backend: CpuBackend, attrs: Attrs): TensorInfo[] {
  const { gradients, values, m, v, accBeta1, accBeta2 } = listInputs(inputs, attrs.count);
  const read = (t: TensorInfo): ArrayLike<number> => {
    const data = backend.data.get(t.dataId).values;
    if (!data) throw new Error(`Bug: ${ADAM_KERNEL}: an input has no values on cpu`);
    return data;
  };
  const shapes = outputShapes(values, m);
  const targets = shapes.map((shape) => new Float32Array(shape.reduce((n, d) => n * d, 1)));
  update(gradients.map(read), values.map(read), read(m), read(v), read(accBeta1)[0] as number, read(accBeta2)[0] as number, targets, attrs);
  return shapes.map((shape, i) => backend.makeTensorInfo(shape, 'float32', targets[i] as Float32Array));
}

/**
 * The arithmetic of the op-by-op path (GroupedAdam.applyOpByOp), element by element: targets are
 * the new values (one per variable), then m, v, accBeta1, accBeta2.
 */
function update(
  gradients: ArrayLike<number>[],
  values: ArrayLike<number>[],
  m: ArrayLike<number>,
  v: ArrayLike<number>,
  accBeta1: number,
  accBeta2: number,
  targets: Float32Array[],
  scalars: AdamScalars,
): void {
  const f = Math.fround;
  const { beta1, beta2, oneMinusBeta1, oneMinusBeta2, epsilon, negativeRate, oneMinusAccBeta1, oneMinusAccBeta2, newAccBeta1, newAccBeta2 } = floatConstants(scalars, accBeta1, accBeta2);
  const count = values.length;
  const newM = targets[count] as Float32Array;
  const newV = targets[count + 1] as Float32Array;
  let at = 0;
  for (let k = 0; k < count; k++) {
    const g = gradients[k] as ArrayLike<number>;
    const x = values[k] as ArrayLike<number>;
    const out = targets[k] as Float32Array;
    for (let i = 0; i < out.length; i++, at++) {
      const gi = g[i] as number;
      const mi = f(f((m[at] as number) * beta1) + f(gi * oneMinusBeta1));
      const vi = f(f((v[at] as number) * beta2) + f(f(gi * gi) * oneMinusBeta2));
      newM[at] = mi;
      newV[at] = vi;
      const mHat = f(mi / oneMinusAccBeta1);
      const vHat = f(vi / oneMinusAccBeta2);
      const step = f(f(mHat / f(f(Math.sqrt(vHat)) + epsilon)) * negativeRate);
      // A Float32Array store rounds the last addition.
      out[i] = step + (x[i] as number);
    }
  }
  (targets[count + 2] as Float32Array)[0] = newAccBeta1;
  (targets[count + 3] as Float32Array)[0] = newAccBeta2;
}

/** adam(g, x, m, v, newX, newM, newV, n, beta1, 1-beta1, beta2, 1-beta2, 1-accBeta1, 1-accBeta2, epsilon, -rate): byte addresses, then a count, then float32 constants. */
type AdamFunction = (...args: number[]) => void;

let simdEnabled = true;

/** For the tests, which compare the two wasm paths: false runs the stock kernels' path (stockUpdate). */
export function useAdamSimd(enabled: boolean): void {
  simdEnabled = enabled;
}

/** Which path the wasm kernel takes on the current backend: 'simd', 'stock' (stockUpdate), or undefined off wasm. */
export function wasmAdamPath(): 'simd' | 'stock' | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  return simdAdam(tf.backend() as unknown as WasmBackend) ? 'simd' : 'stock'; // the wasm backend, by the check above
}

/** The update function on the backend's memory; undefined where SIMD or the memory is not available. */
function simdAdam(backend: WasmBackend): AdamFunction | undefined {
  return simdEnabled ? onHeap<AdamFunction>(backend, 'adam', adamModule) : undefined;
}

/**
 * The wasm module of simdAdam, assembled here (453 bytes; no toolchain in the build). One
 * function: four elements at a time with f32x4 operations, the last n mod 4 one at a time with
 * f32 operations — the same IEEE float32 operations either way, as in tfjs-wasm's kernels:
 *   newM = m·β1 + g·(1−β1);  newV = v·β2 + (g·g)·(1−β2);
 *   newX = ((newM ÷ (1−accβ1)) ÷ (√(newV ÷ (1−accβ2)) + ε))·(−rate) + x
 */
function adamModule(shared: boolean): Uint8Array {
  // Parameters: addresses g, x, m, v, newX, newM, newV; the count; the eight constants (B1 ... NEG_RATE).
  const [G, X, M, V, NEW_X, NEW_M, NEW_V, N, B1] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [OMB1, B2, OMB2, OMA1, OMA2, EPS, NEG_RATE] = [9, 10, 11, 12, 13, 14, 15];
  // Locals: byte offset, its end, the constants splatted to f32x4, then newM and newV (f32x4, f32).
  const [K, END, SPLAT, M4, V4, M1, V1] = [16, 17, 18, 26, 27, 28, 29];
  const at = (base: number) => [...get(base), ...get(K), 0x6a]; // i32.add
  const loop = (vector: boolean) => {
    const load = (base: number) => [...at(base), ...(vector ? [...simd(0x00), 0, 0] : [0x2a, 2, 0])];
    const store = vector ? [...simd(0x0b), 0, 0] : [0x38, 2, 0];
    const [add, mul, div, sqrt] = vector ? [simd(0xe4), simd(0xe6), simd(0xe7), simd(0xe3)] : [[0x92], [0x94], [0x95], [0x91]];
    const constant = (i: number) => get(vector ? SPLAT + i - B1 : i);
    const [newM, newV] = vector ? [M4, V4] : [M1, V1];
    return [
      ...[0x02, 0x40, 0x03, 0x40], // block, loop
      ...get(K), ...get(END), 0x4f, 0x0d, 1, // k >= end: break
      ...load(M), ...constant(B1), ...mul, ...load(G), ...constant(OMB1), ...mul, ...add, ...set(newM),
      ...load(V), ...constant(B2), ...mul, ...load(G), ...load(G), ...mul, ...constant(OMB2), ...mul, ...add, ...set(newV),
      ...at(NEW_M), ...get(newM), ...store,
      ...at(NEW_V), ...get(newV), ...store,
      ...at(NEW_X),
      ...get(newM), ...constant(OMA1), ...div,
      ...get(newV), ...constant(OMA2), ...div, ...sqrt, ...constant(EPS), ...add,
      ...div, ...constant(NEG_RATE), ...mul, ...load(X), ...add, ...store,
      ...get(K), 0x41, ...leb(vector ? 16 : 4), 0x6a, ...set(K),
      ...[0x0c, 0, 0x0b, 0x0b], // br loop, end, end
    ];
  };
  const code = [
    ...get(N), 0x41, 0x7c, 0x71, 0x41, 2, 0x74, ...set(END), // end = (n & -4) << 2
    ...Array.from({ length: 8 }, (_, i) => [...get(B1 + i), ...simd(0x13), ...set(SPLAT + i)]).flat(), // f32x4.splat
    ...loop(true),
    ...get(N), 0x41, 2, 0x74, ...set(END), // end = n << 2
    ...loop(false),
  ];
  return assembleModule('adam', [...Array<number>(8).fill(I32), ...Array<number>(8).fill(F32)], [[1, I32], [1, I32], [8, V128], [2, V128], [2, F32]], code, shared);
}
