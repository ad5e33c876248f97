import type { WasmBackend } from './backend-internals';
import { assembleModule, get, I32, I32_ADD, I32_MUL, increase, onHeap, plus, set, simd, whileBelow } from './wasm-module';

/**
 * Rows of a table copied by id on the wasm heap (embedding lookups), four 32-bit words at a time in
 * a small wasm module: a copy, so the same bits as any other. census MMoE's 131,072 ids of 4 floats
 * at batch 4,096 took 1.5 ms in JavaScript; ESMM's 6,656 ids of 8 floats 0.3 ms. The ids are
 * checked by the caller first. Returns false (nothing written) where the row width is not a
 * multiple of 4 words or SIMD is missing.
 */
export function gatherTableRows(backend: WasmBackend, table: number, ids: number, out: number, count: number, width: number): boolean {
  if (width % 4 !== 0 || width === 0) return false;
  const run = onHeap<(table: number, ids: number, out: number, count: number, rowBytes: number) => void>(backend, 'gatherRows', gatherModule);
  if (!run) return false;
  run(table, ids, out, count, width * 4);
  return true;
}

/** gatherRows(table, ids, out, count, rowBytes): out row i = table row ids[i], 16 bytes at a time. */
export function gatherModule(shared: boolean): Uint8Array {
  const [TABLE, IDS, OUT, COUNT, ROW_BYTES] = [0, 1, 2, 3, 4];
  const [I, J, FROM, TO] = [5, 6, 7, 8];
  const code = [
    ...get(OUT), ...set(TO),
    ...whileBelow(I, COUNT, [
      ...get(TABLE), ...get(IDS), ...get(I), 0x41, 2, 0x74, I32_ADD, 0x28, 2, 0, ...get(ROW_BYTES), I32_MUL, I32_ADD, ...set(FROM), // table + ids[i] · rowBytes
      0x41, 0, ...set(J),
      ...whileBelow(J, ROW_BYTES, [
        ...plus(TO, J),
        ...plus(FROM, J), ...simd(0x00), 0, 0,
        ...simd(0x0b), 0, 0,
        ...increase(J, [0x41, 16]),
      ]),
      ...increase(TO, get(ROW_BYTES)),
      ...increase(I, [0x41, 1]),
    ]),
  ];
  return assembleModule('gatherRows', Array<number>(5).fill(I32), [[4, I32]], code, shared);
}
