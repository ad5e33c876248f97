import type { WasmBackend } from './backend-internals';
import { assembleModule, get, I32, onHeap, set, simd } from './wasm-module';

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
function gatherModule(shared: boolean): Uint8Array {
  const [TABLE, IDS, OUT, COUNT, ROW_BYTES] = [0, 1, 2, 3, 4];
  const [I, J, FROM, TO] = [5, 6, 7, 8];
  const [ADD, MUL, GE] = [0x6a, 0x6c, 0x4f];
  const loop = (counter: number, limit: number, body: number[]) => [
    ...[0x02, 0x40, 0x03, 0x40], // block, loop
    ...get(counter), ...get(limit), GE, 0x0d, 1, // counter >= limit: break
    ...body,
    ...[0x0c, 0, 0x0b, 0x0b], // br loop, end, end
  ];
  const advance = (local: number, by: number[]) => [...get(local), ...by, ADD, ...set(local)];
  const code = [
    ...get(OUT), ...set(TO),
    ...loop(I, COUNT, [
      ...get(TABLE), ...get(IDS), ...get(I), 0x41, 2, 0x74, ADD, 0x28, 2, 0, ...get(ROW_BYTES), MUL, ADD, ...set(FROM), // table + ids[i] · rowBytes
      0x41, 0, ...set(J),
      ...loop(J, ROW_BYTES, [
        ...get(TO), ...get(J), ADD,
        ...get(FROM), ...get(J), ADD, ...simd(0x00), 0, 0,
        ...simd(0x0b), 0, 0,
        ...advance(J, [0x41, 16]),
      ]),
      ...advance(TO, get(ROW_BYTES)),
      ...advance(I, [0x41, 1]),
    ]),
  ];
  return assembleModule('gatherRows', Array<number>(5).fill(I32), [[4, I32]], code, shared);
}
