import * as tf from '@tensorflow/tfjs';
import type { TensorInfo, WasmBackend } from './backend-internals';
import { assembleModule, get, I32, I32_ADD, I32_MUL, increase, onHeap, plus, set, simd, V128, whileBelow } from './wasm-module';
import { batchedOuterProduct, batchedRowProduct } from './batched-rows';
import { columnSums } from './column-sums';
import { gatherTableRows } from './row-gather';

/**
 * Faster paths for three tfjs-backend-wasm (4.22) kernels that dominate a training step of the
 * recommendation models here, each measured with bench/profile-step.ts and checked against the
 * cpu backend in tests/unit/engine/wasm-kernels.test.ts. Same kernel names and results; every
 * case outside the fast path goes to the stock kernel.
 *
 * - BatchMatMul / _FusedMatMul: with transposeA or transposeB tfjs-wasm leaves XNNPACK for a
 *   scalar loop (≈2.3 GFLOP/s against 15–29). Every dense layer's backward pass asks for those
 *   products (dW = xᵀ·dy, dx = dy·Wᵀ), so an operand is transposed explicitly first (one copy)
 *   and the product runs untransposed: a [512,263]ᵀ×[512,128] product 19.6 → 1.9 ms of CPU.
 * - GatherV2 on axis 0 (embedding lookups): rows copied by index (see gatherRows).
 * - Concat of narrow inputs (the FusedEmbedding's columns of ids, [B, 1] each): the stock kernel
 *   copies row by row with a subarray per row and input (32 × [4096, 1]: 6.7 ms); copying by index
 *   takes a fraction of that.
 * - Tile and SplitV (DIN's activation unit: the candidate repeated over the history, [512, 1, 8] →
 *   [512, 20, 8], and its concat's gradient split back into four [512, 20, 8]): tfjs-wasm runs
 *   both element by element with index arithmetic (33 and 18 ms a step on a loaded machine, an
 *   eighth of DIN's kernel time); here they are block copies (see tileBlocks, splitBlocks).
 * - Sum over the rows of a matrix (every bias gradient: dy summed over the batch): tfjs-wasm
 *   transposes the matrix first, then sums each row; here each column's running sum is kept in
 *   float32 while the rows are read in order — the same additions in the same order, no copy.
 * - Identity (the engine's clone of every tensor a gradient keeps): tfjs-wasm copies the data;
 *   here the clone shares it, as on cpu and webgl (see sharedIdentity).
 * - aᵀ·b with one column on either side (a weight gradient into one unit): summed in JS, without
 *   the transposed copy XNNPACK needs (see columnProduct); with up to 128 columns (most weight
 *   gradients here) in a small SIMD module, row by row (see rowOrderProduct); batched products of one
 *   row per matrix (a gate's mixture and its gradient) in two more (see batched-rows.ts).
 */
let installed = false;

type KernelArgs = { inputs: Record<string, TensorInfo | undefined>; backend: WasmBackend; attrs: Record<string, unknown> };
type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

export function installWasmKernels(): void {
  if (installed) return;
  if (!tf.getKernel('BatchMatMul', 'wasm')) return; // the wasm backend is not registered in this bundle
  for (const name of ['BatchMatMul', '_FusedMatMul']) override(name, (stock) => (args) => untransposedMatMul(args, stock));
  override('GatherV2', (stock) => (args) => gatherRows(args) ?? stock(args));
  override('Concat', (stock) => (args) => concatNarrow(args) ?? stock(args));
  override('Tile', (stock) => (args) => tileBlocks(args) ?? stock(args));
  override('SplitV', (stock) => (args) => splitBlocks(args) ?? stock(args));
  override('Sum', (stock) => (args) => sumRows(args) ?? stock(args));
  override('Identity', (stock) => (args) => sharedIdentity(args) ?? stock(args));
  override('Multiply', (stock) => (args) => outerMultiply(args) ?? stock(args));
  installed = true;
}

function override(name: string, wrap: (stock: KernelFunc) => KernelFunc): void {
  const stock = tf.getKernel(name, 'wasm');
  if (!stock) return;
  tf.unregisterKernel(name, 'wasm');
  // setupFunc stays the stock one: the wrapped kernels fall back on the stock kernel.
  tf.registerKernel({ ...stock, kernelFunc: wrap(stock.kernelFunc as unknown as KernelFunc) as unknown as tf.KernelFunc });
}

const size = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/**
 * The product with no operand transposed: a transposed operand is copied transposed first.
 * XNNPACK packs its right operand anew for each new tensor, and that packing costs more than our
 * copy, so aᵀ·b with a narrower than b (a weight gradient xᵀ·dy of a layer that widens) runs as
 * (bᵀ·a)ᵀ, packing the narrow a: DIN's attention [10240, 32]ᵀ·[10240, 80] 7.4–8.2 → 5.6–6.8 ms of
 * CPU (load 10). Each output is the same sum in the same order either way: equal bit for bit. (A
 * wider a, as in MMoE's experts [512, 263]ᵀ·[512, 128], measured no faster the other way round.)
 */
function untransposedMatMul(args: KernelArgs, stock: KernelFunc): TensorInfo | TensorInfo[] {
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const a = args.inputs.a;
  const b = args.inputs.b;
  const plain = !args.inputs.bias && !args.inputs.preluActivationWeights && ((args.attrs.activation as string | undefined) ?? 'linear') === 'linear';
  const rows = plain && a && b && rowProductsEnabled ? batchedRowProduct(a, b, transposeA, transposeB, args.backend) : undefined;
  if (rows) return rows;
  if ((!transposeA && !transposeB) || !a || !b) return stock(args);
  const direct = columnProduct(args) ?? rowOrderProduct(args);
  if (direct) return direct;
  const made: TensorInfo[] = [];
  const copy = (x: TensorInfo) => {
    const out = transposeLastTwo(args.backend, x);
    made.push(out);
    return out;
  };
  try {
    if (transposeA && !transposeB && a.shape.length === 2 && b.shape.length === 2 && !args.inputs.bias && (a.shape[1] as number) < (b.shape[1] as number)) {
      const swapped = stock({ ...args, inputs: { a: copy(b), b: a }, attrs: { ...args.attrs, transposeA: false, transposeB: false } }) as TensorInfo;
      made.push(swapped);
      return transposeLastTwo(args.backend, swapped);
    }
    const inputs = { ...args.inputs, a: transposeA ? copy(a) : a, b: transposeB ? copy(b) : b };
    return stock({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
  } finally {
    for (const t of made) args.backend.disposeData(t.dataId);
  }
}

/**
 * x with its last two axes swapped. The rows are read in strips of 64, and each strip is written
 * one output row at a time: 64 consecutive values per output row. (Blocks of 16 × 16 wrote 16 rows
 * whose starts lie a multiple of 4 KiB apart for DIN's 10,240 rows, all in one L1 set, and ran
 * half as fast: [10240, 80] 4.8 → 2.1 ms, [4096, 135] 3.5 → 1.8 ms, load 5.)
 */
function transposeLastTwo(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2] as number;
  const cols = x.shape[rank - 1] as number;
  const batches = size(x.shape.slice(0, -2));
  const out = backend.makeOutput([...x.shape.slice(0, -2), cols, rows], x.dtype);
  const source = backend.typedArrayFromHeap(x);
  const target = backend.typedArrayFromHeap(out);
  const strip = 64;
  for (let batch = 0; batch < batches; batch++) {
    const base = batch * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += strip) {
      const i1 = Math.min(rows, i0 + strip);
      for (let j = 0; j < cols; j++) {
        const to = base + j * rows;
        let from = base + i0 * cols + j;
        for (let i = i0; i < i1; i++, from += cols) target[to + i] = source[from] as number;
      }
    }
  }
  return out;
}

/**
 * aᵀ·b where a or b has one column ([..., R, m]ᵀ·[..., R, 1], a dense layer's weight gradient into
 * a single unit: DIN's score layer, every tower's head), one matrix each (batch dims of 1);
 * undefined for anything else. XNNPACK needs a copied transposed first and then runs with one
 * output column: 2.4 ms for DIN's [10240, 40]ᵀ·[10240, 1] (load 5). Here each output is summed
 * in float32 over the rows in order, as XNNPACK sums it (equal bit for bit, tests).
 */
function columnProduct(args: KernelArgs): TensorInfo | undefined {
  const { a, b } = args.inputs;
  const attrs = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
  if (!a || !b || !attrs.transposeA || attrs.transposeB || args.inputs.bias || args.inputs.preluActivationWeights) return undefined;
  if ((attrs.activation ?? 'linear') !== 'linear' || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const rank = a.shape.length;
  if (rank < 2 || b.shape.length !== rank || a.shape.slice(0, -1).some((d, i) => d !== b.shape[i])) return undefined;
  const rows = a.shape[rank - 2] as number;
  const m = a.shape[rank - 1] as number;
  const n = b.shape[rank - 1] as number;
  // Batched products (more than one matrix) leave XNNPACK for tfjs-wasm's own loop, which sums in another order.
  if ((m !== 1 && n !== 1) || rows === 0 || size(a.shape.slice(0, -2)) !== 1) return undefined;
  const out = args.backend.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
  const left = args.backend.typedArrayFromHeap(a);
  const right = args.backend.typedArrayFromHeap(b);
  const target = args.backend.typedArrayFromHeap(out);
  // Math.fround after each multiplication and addition: float32 arithmetic, done in float64 and rounded once.
  // One output per column of the wider operand: wide · narrow, row by row.
  const [wide, narrow, width] = n === 1 ? [left, right, m] : [right, left, n];
  const sums = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    const y = narrow[r] as number;
    const row = r * width;
    for (let i = 0; i < width; i++) sums[i] = Math.fround((sums[i] as number) + Math.fround((wide[row + i] as number) * y));
  }
  target.set(sums);
  return out;
}

/**
 * The widest b (a multiple of 4) and the most outputs (256 KiB, about an L2 cache) of an aᵀ·b that
 * rowOrderProduct takes; larger ones are transposed and go to XNNPACK. Measured on the 2-core
 * machine, ms, this module / a transposed copy + XNNPACK (bit for bit equal in every case):
 * [4096, 135]ᵀ·[4096, n] with n = 8: 0.57 / 1.77, 32: 1.55 / 2.50, 128: 6.00 / 8.96 (MMoE's experts);
 * [10240, 80]ᵀ·[10240, 40] (DIN): 2.67 / 4.36; [512, 263]ᵀ·[512, 128]: 1.36 / 1.58;
 * [4096, 512]ᵀ·[4096, 128]: 20.7 / 24.4; [2048, 1024]ᵀ·[2048, 64]: 11.2 / 15.4.
 */
export const ROW_PRODUCT_MAX_COLUMNS = 128;
const ROW_PRODUCT_MAX_OUTPUTS = 65_536;
let rowProductsEnabled = true;

/** For the tests, which compare both paths: false sends every aᵀ·b to the transposed copy and XNNPACK. */
export function useRowProducts(enabled: boolean): void {
  rowProductsEnabled = enabled;
}

/** Whether aᵀ·b products run in the row-order SIMD module on the current backend (wasm, with SIMD and a reachable heap). */
export function rowProductsRun(): boolean {
  return rowProductsEnabled && tf.getBackend() === 'wasm' && atbFunction(tf.backend() as unknown as WasmBackend) !== undefined;
}

type AtbFunction = (a: number, b: number, c: number, rows: number, m: number, n: number) => void;
const atbFunction = (backend: WasmBackend) => onHeap<AtbFunction>(backend, 'atb', atbModule);

/**
 * aᵀ·b — a dense layer's weight gradient xᵀ·dy — with b of 4 to ROW_PRODUCT_MAX_COLUMNS columns (a
 * multiple of 4) and at most ROW_PRODUCT_MAX_OUTPUTS outputs, one matrix (batch dims of 1). The
 * other way, a is copied transposed ([4096, 135] for each of MMoE's gates and its experts) and
 * XNNPACK then streams 4,096-long rows. Here a small wasm module (atbModule) reads a and b once,
 * row by row, adding each row's products into the output, which stays in cache: every output the
 * same float32 sum in the same order as XNNPACK's, equal bit for bit (tests). undefined for any
 * other product, or without SIMD.
 */
function rowOrderProduct(args: KernelArgs): TensorInfo | undefined {
  const { a, b } = args.inputs;
  const attrs = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
  if (!rowProductsEnabled || !a || !b || !attrs.transposeA || attrs.transposeB || args.inputs.bias || args.inputs.preluActivationWeights) return undefined;
  if ((attrs.activation ?? 'linear') !== 'linear' || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const rank = a.shape.length;
  if (rank < 2 || b.shape.length !== rank || a.shape.slice(0, -1).some((d, i) => d !== b.shape[i]) || size(a.shape.slice(0, -2)) !== 1) return undefined;
  const rows = a.shape[rank - 2] as number;
  const m = a.shape[rank - 1] as number;
  const n = b.shape[rank - 1] as number;
  if (n % 4 !== 0 || n > ROW_PRODUCT_MAX_COLUMNS || m * n > ROW_PRODUCT_MAX_OUTPUTS || rows === 0 || m === 0) return undefined;
  const atb = atbFunction(args.backend);
  if (!atb) return undefined;
  const out = args.backend.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
  // Addresses only after makeOutput: growing the heap moves nothing but detaches views taken before.
  const target = args.backend.typedArrayFromHeap(out);
  target.fill(0);
  atb(args.backend.typedArrayFromHeap(a).byteOffset, args.backend.typedArrayFromHeap(b).byteOffset, target.byteOffset, rows, m, n);
  return out;
}

/**
 * atb(a, b, c, rows, m, n): c[m, n] += a[rows, m]ᵀ·b[rows, n] (byte addresses; n a multiple of
 * 4). Four rows at a time, then one: for each i < m, four columns of c[i] at a time, the products
 * a[r, i] · b[r, j..j+4) of those rows added in row order (f32x4.mul then f32x4.add), as XNNPACK's
 * wasm SIMD loops add them (no fused multiply-add); c is loaded and stored once per four rows.
 */
export function atbModule(shared: boolean): Uint8Array {
  const [A, B, C, ROWS, M, N] = [0, 1, 2, 3, 4, 5];
  const [R, I, J, A_ROW, B_ROW, C_ROW, A_AT, ROW_BYTES, A_STRIDE, ROWS_BY_4] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const B_ROWS = [B_ROW, 16, 17, 18]; // b's four rows
  const AV = [19, 20, 21, 22]; // a[r + t, i], splatted
  const [add, mul] = [I32_ADD, I32_MUL];
  const rowsLoop = (unroll: number, limit: number) =>
    whileBelow(R, limit, [
      ...B_ROWS.slice(1, unroll).flatMap((local, t) => [...get(B_ROWS[t] as number), ...get(ROW_BYTES), add, ...set(local)]),
      ...get(A_ROW), ...set(A_AT),
      ...get(C), ...set(C_ROW),
      0x41, 0, ...set(I),
      ...whileBelow(I, M, [
        ...AV.slice(0, unroll).flatMap((local, t) => [...get(A_AT), ...(t ? [...get(A_STRIDE), 0x41, t, mul, add] : []), 0x2a, 2, 0, ...simd(0x13), ...set(local)]),
        0x41, 0, ...set(J),
        ...whileBelow(J, ROW_BYTES, [
          ...plus(C_ROW, J), // where c[i, j..j+4) goes
          ...plus(C_ROW, J), ...simd(0x00), 0, 0,
          ...AV.slice(0, unroll).flatMap((local, t) => [...get(local), ...plus(B_ROWS[t] as number, J), ...simd(0x00), 0, 0, ...simd(0xe6), ...simd(0xe4)]),
          ...simd(0x0b), 0, 0,
          ...increase(J, [0x41, 16]),
        ]),
        ...increase(A_AT, [0x41, 4]),
        ...increase(C_ROW, get(ROW_BYTES)),
        ...increase(I, [0x41, 1]),
      ]),
      ...increase(A_ROW, [...get(A_STRIDE), 0x41, unroll, mul]),
      ...increase(B_ROW, [...get(ROW_BYTES), 0x41, unroll, mul]),
      ...increase(R, [0x41, unroll]),
    ]);
  const code = [
    ...get(N), 0x41, 2, 0x74, ...set(ROW_BYTES), // n · 4
    ...get(M), 0x41, 2, 0x74, ...set(A_STRIDE), // m · 4
    ...get(ROWS), 0x41, 0x7c, 0x71, ...set(ROWS_BY_4), // rows & -4
    ...get(A), ...set(A_ROW),
    ...get(B), ...set(B_ROW),
    ...rowsLoop(4, ROWS_BY_4),
    ...rowsLoop(1, ROWS),
  ];
  return assembleModule('atb', Array<number>(6).fill(I32), [[13, I32], [4, V128]], code, shared);
}

/**
 * Rows of a table by int32 ids (axis 0, no batch dims), copied in JavaScript; undefined for any
 * other gather. The stock kernel checks each index with a closure, then runs a wasm gather that
 * computes strided offsets per element: 22 ms of CPU for 131,072 ids of 4 floats (a census MMoE
 * batch of 4,096), where this copy takes about 1.
 */
function gatherRows({ inputs, backend, attrs }: KernelArgs): TensorInfo | undefined {
  const { x, indices } = inputs;
  const axis = attrs.axis as number | number[];
  if (!x || !indices || (Array.isArray(axis) ? axis[0] : axis) !== 0 || (attrs.batchDims as number) !== 0) return undefined;
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32' || x.shape.length < 1) return undefined;
  const rows = x.shape[0] ?? 0;
  const slice = x.shape.slice(1).reduce((n, d) => n * d, 1);
  // makeOutput may grow the wasm memory, which detaches views taken before it: take them after.
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  const ids = backend.typedArrayFromHeap(indices) as Int32Array;
  const source = backend.typedArrayFromHeap(x);
  const target = backend.typedArrayFromHeap(out);
  if (rowProductsEnabled && ids.length > 0) {
    let bad = -1;
    for (let i = 0; i < ids.length && bad < 0; i++) if ((ids[i] as number) < 0 || (ids[i] as number) >= rows) bad = i;
    if (bad < 0 && gatherTableRows(backend, source.byteOffset, ids.byteOffset, target.byteOffset, ids.length, slice)) return out;
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (id < 0 || id >= rows) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${id} is not in [0, ${rows - 1}]`);
    }
    const from = id * slice;
    const to = i * slice;
    if (slice > 16) target.set(source.subarray(from, from + slice), to);
    else for (let k = 0; k < slice; k++) target[to + k] = source[from + k] as number;
  }
  return out;
}

/** Concatenation of numeric inputs whose slices past the axis are narrow (≤ 8 values); undefined otherwise. */
function concatNarrow({ inputs, backend, attrs }: KernelArgs): TensorInfo | undefined {
  const list = Object.keys(inputs)
    .sort((p, q) => Number(p) - Number(q))
    .map((k) => inputs[k])
    .filter((t): t is TensorInfo => t !== undefined && t.shape.every((d) => d > 0));
  const first = list[0];
  if (!first || list.length < 2 || first.dtype === 'string' || list.some((t) => t.dtype !== first.dtype || t.shape.length !== first.shape.length)) return undefined;
  const rank = first.shape.length;
  const axis = ((attrs.axis as number) + rank) % rank;
  const inner = list.map((t) => t.shape.slice(axis).reduce((n, d) => n * d, 1));
  if (inner.some((n) => n > 8)) return undefined;
  const outer = first.shape.slice(0, axis).reduce((n, d) => n * d, 1);
  if (list.some((t) => t.shape.slice(0, axis).reduce((n, d) => n * d, 1) !== outer)) return undefined;
  const width = inner.reduce((a, b) => a + b, 0);
  const shape = [...first.shape];
  shape[axis] = list.reduce((n, t) => n + (t.shape[axis] ?? 0), 0);
  const out = backend.makeOutput(shape, first.dtype);
  const target = backend.typedArrayFromHeap(out);
  let at = 0;
  list.forEach((t, i) => {
    const n = inner[i] as number;
    const source = backend.typedArrayFromHeap(t);
    for (let row = 0; row < outer; row++) {
      const from = row * n;
      const to = row * width + at;
      for (let k = 0; k < n; k++) target[to + k] = source[from + k] as number;
    }
    at += n;
  });
  return out;
}

const numeric = (t: TensorInfo): boolean => t.dtype === 'float32' || t.dtype === 'int32';

/**
 * x repeated `reps` times along each axis; undefined for strings and bools. Each axis, from the
 * last, is filled once from x and then doubled up with copyWithin (a memmove), so no element is
 * located by index arithmetic.
 */
function tileBlocks({ inputs, backend, attrs }: KernelArgs): TensorInfo | undefined {
  const { x } = inputs;
  const reps = attrs.reps as number[];
  if (!x || !numeric(x) || reps.length !== x.shape.length || x.shape.length === 0) return undefined;
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => d * (reps[i] as number));
  const out = backend.makeOutput(outShape, x.dtype);
  if (size(outShape) === 0) return out;
  const source = backend.typedArrayFromHeap(x);
  const target = backend.typedArrayFromHeap(out);
  // Elements per step of each axis, in x and in the output.
  const sourceStride = x.shape.map((_, i) => size(x.shape.slice(i + 1)));
  const targetStride = outShape.map((_, i) => size(outShape.slice(i + 1)));
  const fill = (axis: number, from: number, to: number): void => {
    const length = x.shape[axis] as number;
    if (axis === rank - 1) target.set(source.subarray(from, from + length), to);
    else for (let i = 0; i < length; i++) fill(axis + 1, from + i * (sourceStride[axis] as number), to + i * (targetStride[axis] as number));
    const block = length * (targetStride[axis] as number);
    for (let r = 1; r < (reps[axis] as number); r++) target.copyWithin(to + r * block, to, to + block);
  };
  fill(0, 0, 0);
  return out;
}

/** x cut along an axis into pieces of the given sizes, each piece copied row by row; undefined for strings and bools. */
function splitBlocks({ inputs, backend, attrs }: KernelArgs): TensorInfo[] | undefined {
  const { x } = inputs;
  if (!x || !numeric(x) || x.shape.length === 0) return undefined;
  const rank = x.shape.length;
  const axis = ((attrs.axis as number) + rank) % rank;
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs.numOrSizeSplits as number[] | number, axis);
  const outer = size(x.shape.slice(0, axis));
  const inner = size(x.shape.slice(axis + 1));
  const rowLength = (x.shape[axis] as number) * inner;
  const outs = sizes.map((n) => backend.makeOutput(x.shape.map((d, i) => (i === axis ? n : d)), x.dtype));
  // Views after every makeOutput: growing the wasm memory detaches views taken before.
  const source = backend.typedArrayFromHeap(x);
  let offset = 0;
  outs.forEach((out, p) => {
    const width = (sizes[p] as number) * inner;
    const target = backend.typedArrayFromHeap(out);
    for (let row = 0; row < outer; row++) {
      const from = row * rowLength + offset;
      const to = row * width;
      if (width > 16) target.set(source.subarray(from, from + width), to);
      else for (let k = 0; k < width; k++) target[to + k] = source[from + k] as number;
    }
    offset += width;
  });
  return outs;
}

/**
 * x [rows, cols] summed over axis 0, or x [batch, rows, cols] over axis 1 (the gradient of a
 * vector repeated over DIN's positions), keepDims or not, float32; undefined for anything else.
 */
function sumRows({ inputs, backend, attrs }: KernelArgs): TensorInfo | undefined {
  const { x } = inputs;
  // axis null (every axis) and lists of other than one axis go to the stock kernel.
  const axes = attrs.axis === null || attrs.axis === undefined ? [] : ([] as number[]).concat(attrs.axis as number | number[]);
  const rank = x?.shape.length ?? 0;
  if (!x || x.dtype !== 'float32' || (rank !== 2 && rank !== 3) || axes.length !== 1 || !Number.isInteger(axes[0])) return undefined;
  if (((axes[0] as number) + rank) % rank !== rank - 2) return undefined;
  const [batch, rows, cols] = (rank === 2 ? [1, ...x.shape] : x.shape) as [number, number, number];
  if (batch === 0 || rows === 0 || cols === 0) return undefined;
  const out = backend.makeOutput(rank === 2 ? (attrs.keepDims ? [1, cols] : [cols]) : attrs.keepDims ? [batch, 1, cols] : [batch, cols], 'float32');
  const source = backend.typedArrayFromHeap(x);
  const sums = backend.typedArrayFromHeap(out);
  for (let b = 0; b < batch; b++) {
    const from = b * rows * cols;
    if (rowProductsEnabled && columnSums(backend, source.byteOffset + 4 * from, sums.byteOffset + 4 * b * cols, rows, cols)) continue;
    // A Float32Array rounds each addition to float32, as the stock kernel's float accumulator does.
    sums.fill(0, b * cols, (b + 1) * cols);
    for (let r = 0; r < rows; r++) {
      const at = from + r * cols;
      for (let c = 0; c < cols; c++) sums[b * cols + c] = (sums[b * cols + c] as number) + (source[at + c] as number);
    }
  }
  return out;
}

/** a [..., m, 1] · b [..., 1, n], in either order, as one outer product per batch (batched-rows.ts); undefined otherwise. */
function outerMultiply({ inputs, backend }: KernelArgs): TensorInfo | undefined {
  const { a, b } = inputs;
  if (!rowProductsEnabled || !a || !b) return undefined;
  // Multiplication commutes bit for bit, so b [..., m, 1] · a [..., 1, n] is the same product.
  return batchedOuterProduct(a, b, backend) ?? batchedOuterProduct(b, a, backend);
}

/**
 * x as a new tensor on the same data (one more reference), as the cpu and webgl backends do;
 * undefined for strings. tfjs-wasm copies it, and the engine clones every tensor a gradient keeps
 * (saveTensorsForBackwardMode): DIN's step copied ~2.6 M floats that way, 5–6 ms of CPU (load 5).
 * Tensor data is never written after it is made (a variable's assign takes new data), so sharing
 * it is safe; reshape shares it the same way.
 */
function sharedIdentity({ inputs, backend }: KernelArgs): TensorInfo | undefined {
  const { x } = inputs;
  if (!x || x.dtype === 'string') return undefined;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
