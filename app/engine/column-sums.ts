import type { WasmBackend } from './backend-internals';
import { assembleModule, get, I32, increase, onHeap, plus, set, simd, whileBelow } from './wasm-module';

/**
 * Column sums of a float32 [rows, cols] matrix on the wasm heap (every bias gradient: dy summed
 * over the batch), four columns at a time in a small wasm module: each sum starts at zero and adds
 * the rows in order, the float32 additions of the JavaScript loop it replaces (and of the stock
 * kernel), bit for bit. DIN's [10240, 80] and [10240, 40] took 3.5 ms a step in JavaScript.
 * Returns false (nothing written) where cols is not a multiple of 4 or SIMD is missing.
 */
export function columnSums(backend: WasmBackend, source: number, target: number, rows: number, cols: number): boolean {
  if (cols % 4 !== 0) return false;
  const run = onHeap<(x: number, out: number, rows: number, cols: number) => void>(backend, 'columnSums', columnSumsModule);
  if (!run) return false;
  run(source, target, rows, cols);
  return true;
}

export function columnSumsModule(shared: boolean): Uint8Array {
  const [X, OUT, ROWS, COLS] = [0, 1, 2, 3];
  const [R, J, ROW_BYTES, X_ROW] = [4, 5, 6, 7];
  const at = (base: number) => plus(base, J);
  const [load, store] = [[...simd(0x00), 0, 0], [...simd(0x0b), 0, 0]];
  const code = [
    ...get(COLS), 0x41, 2, 0x74, ...set(ROW_BYTES), // cols · 4
    ...get(X), ...set(X_ROW),
    ...whileBelow(J, ROW_BYTES, [...at(OUT), ...simd(0x0c), ...Array<number>(16).fill(0), ...store, ...increase(J, [0x41, 16])]), // v128.const 0
    ...whileBelow(R, ROWS, [
      0x41, 0, ...set(J),
      ...whileBelow(J, ROW_BYTES, [...at(OUT), ...at(OUT), ...load, ...at(X_ROW), ...load, ...simd(0xe4), ...store, ...increase(J, [0x41, 16])]), // f32x4.add
      ...increase(X_ROW, get(ROW_BYTES)),
      ...increase(R, [0x41, 1]),
    ]),
  ];
  return assembleModule('columnSums', Array<number>(4).fill(I32), [[4, I32]], code, shared);
}
