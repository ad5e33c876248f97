import type { TensorInfo, WasmBackend } from './backend-internals';
import { assembleModule, F32, get, I32, I32_ADD, increase, onHeap, plus, set, simd, V128, whileBelow } from './wasm-module';

/**
 * Batched products of one row per matrix on wasm: [B, 1, k] × [B, k, n] (a gate's mixture
 * Σ_k w[b, k] · e[b, k, :]) and [B, 1, k] × [B, n, k]ᵀ (its weights' gradient dy · eᵀ). tfjs-wasm
 * runs a batched product as B small products at a fixed cost each, and the transposed one after a
 * copy: census MMoE's two gates at B = 4,096 spent 5.2 ms a step in them. Here two small wasm
 * modules run the whole batch, each output the float32 sum over k in order from zero, as
 * tfjs-wasm's loop adds it: bit for bit the stock results (tests).
 */
type RowFunction = (a: number, b: number, out: number, batch: number, k: number, n: number) => void;

/** [B, 1, k] × [B, k, n] (n a multiple of 4) or [B, 1, k] × [B, n, k]ᵀ; undefined for any other product. */
export function batchedRowProduct(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, backend: WasmBackend): TensorInfo | undefined {
  if (transposeA || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length !== 3 || b.shape.length !== 3) return undefined;
  const [batch, rows, k] = a.shape as [number, number, number];
  if (rows !== 1 || batch < 2 || b.shape[0] !== batch) return undefined;
  const n = (transposeB ? b.shape[1] : b.shape[2]) as number;
  if ((transposeB ? b.shape[2] : b.shape[1]) !== k || k === 0 || n === 0) return undefined;
  const run = transposeB ? onHeap<RowFunction>(backend, 'rowDots', rowDotsModule) : n % 4 === 0 ? onHeap<RowFunction>(backend, 'rowTimes', rowTimesModule) : undefined;
  if (!run) return undefined;
  const out = backend.makeOutput([batch, 1, n], 'float32');
  // Addresses only after makeOutput: growing the heap detaches views taken before.
  const address = (t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  run(address(a), address(b), address(out), batch, k, n);
  return out;
}

/**
 * a [..., m, 1] ⊙ b [..., 1, n] (leading dims equal, n a multiple of 4): the outer product per
 * batch, each output one float32 product as the stock broadcast multiply makes it (a gate
 * mixture's expert gradient w ⊗ dy, 0.7 ms a gate at B = 4,096 in tfjs-wasm's broadcasting loop);
 * undefined for any other multiply.
 */
export function batchedOuterProduct(a: TensorInfo, b: TensorInfo, backend: WasmBackend): TensorInfo | undefined {
  const rank = a.shape.length;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || rank < 3 || b.shape.length !== rank) return undefined;
  if (a.shape[rank - 1] !== 1 || b.shape[rank - 2] !== 1 || a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])) return undefined;
  const m = a.shape[rank - 2] as number;
  const n = b.shape[rank - 1] as number;
  const batch = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  if (n % 4 !== 0 || m === 0 || n === 0 || batch === 0) return undefined;
  const run = onHeap<RowFunction>(backend, 'outer', outerModule);
  if (!run) return undefined;
  const out = backend.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
  const address = (t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  run(address(a), address(b), address(out), batch, m, n);
  return out;
}

const MEMARG = [0, 0];
const [V_LOAD, V_STORE, V_MUL, V_ADD] = [[...simd(0x00), ...MEMARG], [...simd(0x0b), ...MEMARG], simd(0xe6), simd(0xe4)];
const [F_LOAD, F_STORE, F_MUL, F_ADD] = [[0x2a, 2, 0], [0x38, 2, 0], [0x94], [0x92]];
const [A, B, OUT, BATCH, K, N] = [0, 1, 2, 3, 4, 5];

/**
 * rowTimes(a, b, out, batch, k, n): out[i, 0, j..j+4) = Σ_t a[i, 0, t] · b[i, t, j..j+4), four
 * columns at a time, t in order from a zero sum (f32x4.mul then f32x4.add).
 */
export function rowTimesModule(shared: boolean): Uint8Array {
  const [I, T, J, ROW_BYTES, O_ROW, A_AT, B_ROW, AV] = [6, 7, 8, 9, 10, 11, 12, 13];
  const code = [
    ...get(N), 0x41, 2, 0x74, ...set(ROW_BYTES), // n · 4
    ...get(OUT), ...set(O_ROW),
    ...get(A), ...set(A_AT),
    ...get(B), ...set(B_ROW),
    ...whileBelow(I, BATCH, [
      0x41, 0, ...set(J),
      ...whileBelow(J, ROW_BYTES, [...plus(O_ROW, J), ...simd(0x0c), ...Array<number>(16).fill(0), ...V_STORE, ...increase(J, [0x41, 16])]), // v128.const 0
      0x41, 0, ...set(T),
      ...whileBelow(T, K, [
        ...get(A_AT), ...F_LOAD, ...simd(0x13), ...set(AV), // f32x4.splat
        0x41, 0, ...set(J),
        ...whileBelow(J, ROW_BYTES, [
          ...plus(O_ROW, J),
          ...plus(O_ROW, J), ...V_LOAD,
          ...get(AV), ...plus(B_ROW, J), ...V_LOAD, ...V_MUL,
          ...V_ADD, ...V_STORE,
          ...increase(J, [0x41, 16]),
        ]),
        ...increase(A_AT, [0x41, 4]),
        ...increase(B_ROW, get(ROW_BYTES)),
        ...increase(T, [0x41, 1]),
      ]),
      ...increase(O_ROW, get(ROW_BYTES)),
      ...increase(I, [0x41, 1]),
    ]),
  ];
  return assembleModule('rowTimes', Array<number>(6).fill(I32), [[7, I32], [1, V128]], code, shared);
}

/** outer(a, b, out, batch, m, n): out[i, t, j..j+4) = a[i, t] · b[i, j..j+4), f32x4.mul. */
export function outerModule(shared: boolean): Uint8Array {
  const [I, T, J, ROW_BYTES, O_ROW, A_AT, B_ROW, AV] = [6, 7, 8, 9, 10, 11, 12, 13];
  const code = [
    ...get(N), 0x41, 2, 0x74, ...set(ROW_BYTES),
    ...get(OUT), ...set(O_ROW),
    ...get(A), ...set(A_AT),
    ...get(B), ...set(B_ROW),
    ...whileBelow(I, BATCH, [
      0x41, 0, ...set(T),
      ...whileBelow(T, K, [
        ...get(A_AT), ...F_LOAD, ...simd(0x13), ...set(AV),
        0x41, 0, ...set(J),
        ...whileBelow(J, ROW_BYTES, [...plus(O_ROW, J), ...get(AV), ...plus(B_ROW, J), ...V_LOAD, ...V_MUL, ...V_STORE, ...increase(J, [0x41, 16])]),
        ...increase(A_AT, [0x41, 4]),
        ...increase(O_ROW, get(ROW_BYTES)),
        ...increase(T, [0x41, 1]),
      ]),
      ...increase(B_ROW, get(ROW_BYTES)),
      ...increase(I, [0x41, 1]),
    ]),
  ];
  return assembleModule('outer', Array<number>(6).fill(I32), [[7, I32], [1, V128]], code, shared);
}

/** rowDots(a, b, out, batch, k, n): out[i, 0, j] = Σ_t a[i, 0, t] · b[i, j, t], one f32 at a time, t in order from zero. */
export function rowDotsModule(shared: boolean): Uint8Array {
  const [I, J, T, A_ROW, B_ROW, O_AT, SUM] = [6, 7, 8, 9, 10, 11, 12];
  const code = [
    ...get(A), ...set(A_ROW),
    ...get(B), ...set(B_ROW),
    ...get(OUT), ...set(O_AT),
    ...whileBelow(I, BATCH, [
      0x41, 0, ...set(J),
      ...whileBelow(J, N, [
        0x43, 0, 0, 0, 0, ...set(SUM), // f32.const 0
        0x41, 0, ...set(T),
        ...whileBelow(T, K, [
          ...get(SUM),
          ...get(A_ROW), ...get(T), 0x41, 2, 0x74, I32_ADD, ...F_LOAD,
          ...get(B_ROW), ...get(T), 0x41, 2, 0x74, I32_ADD, ...F_LOAD,
          ...F_MUL, ...F_ADD, ...set(SUM),
          ...increase(T, [0x41, 1]),
        ]),
        ...get(O_AT), ...get(SUM), ...F_STORE,
        ...increase(O_AT, [0x41, 4]),
        ...increase(B_ROW, [...get(K), 0x41, 2, 0x74]),
        ...increase(J, [0x41, 1]),
      ]),
      ...increase(A_ROW, [...get(K), 0x41, 2, 0x74]),
      ...increase(I, [0x41, 1]),
    ]),
  ];
  return assembleModule('rowDots', Array<number>(6).fill(I32), [[6, I32], [1, F32]], code, shared);
}
