import type { WasmBackend } from './backend-internals';

/**
 * Small wasm modules of our own that run on tfjs-wasm's heap (Adam's update, narrow products),
 * assembled here byte by byte: the build has no wasm toolchain, and each module is one function of
 * a few hundred bytes. Each is instantiated once per backend memory, importing that memory, so it
 * reads and writes tensors where they lie.
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const low = n & 0x7f;
    n >>>= 7;
    out.push(n ? low | 0x80 : low);
  } while (n);
  return out;
}

const name = (text: string) => [...leb(text.length), ...Array.from(new TextEncoder().encode(text))];
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const list = (items: number[][]) => [...leb(items.length), ...items.flat()];

/** local.get, local.set, and a SIMD instruction by its opcode. */
export const get = (i: number) => [0x20, ...leb(i)];
export const set = (i: number) => [0x21, ...leb(i)];
export const simd = (op: number) => [0xfd, ...leb(op)];

/** i32 opcodes the loops use. */
export const I32_ADD = 0x6a;
export const I32_MUL = 0x6c;

/** A loop whose `body` runs while local `counter` < local `limit` (unsigned); the body moves the counter on. */
export const whileBelow = (counter: number, limit: number, body: readonly number[]) => [
  ...[0x02, 0x40, 0x03, 0x40], // block, loop
  ...get(counter), ...get(limit), 0x4f, 0x0d, 1, // i32.ge_u: break
  ...body,
  ...[0x0c, 0, 0x0b, 0x0b], // br loop, end, end
];

/** local += the i32 the instructions `by` leave on the stack. */
export const increase = (local: number, by: readonly number[]) => [...get(local), ...by, I32_ADD, ...set(local)];

/** The sum of two locals (an address plus an offset). */
export const plus = (a: number, b: number) => [...get(a), ...get(b), I32_ADD];

/**
 * A module importing `env.memory` (shared where the threaded build's memory is: it must be imported
 * as shared, with a maximum) and exporting one function `exported` of `params`, no result, with
 * `locals` (runs of [count, type]) and the body `code` (without its final `end`).
 */
export function assembleModule(exported: string, params: readonly number[], locals: readonly [number, number][], code: readonly number[], shared: boolean): Uint8Array {
  const body = [...list(locals.map(([count, type]) => [...leb(count), type])), ...code, 0x0b];
  const limits = shared ? [0x03, 0, ...leb(65536)] : [0x00, 0];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, list([[0x60, ...list(params.map((p) => [p])), 0]])),
    ...section(2, list([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, list([[0]])),
    ...section(7, list([[...name(exported), 0x00, 0]])),
    ...section(10, list([[...leb(body.length), ...body]])),
  ]);
}

/** The WebAssembly API used here (the project's lib has no DOM and @types/node declares none of it). */
interface WasmMemory {
  buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

const instances = new WeakMap<WasmMemory, Map<string, unknown>>();

/**
 * The function `exported` of the module `build` makes, instantiated on the backend's memory (once
 * per memory and name); undefined where the memory cannot be reached or the module does not
 * validate (no SIMD), and the caller takes its stock path.
 */
export function onHeap<F>(backend: WasmBackend, exported: string, build: (shared: boolean) => Uint8Array): F | undefined {
  if (!wasmApi) return undefined;
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmExports?.memory;
  if (!(memory instanceof wasmApi.Memory) || memory.buffer !== backend.wasm.HEAPU8.buffer) return undefined;
  let made = instances.get(memory);
  if (!made) instances.set(memory, (made = new Map()));
  if (!made.has(exported)) {
    const bytes = build(typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer);
    made.set(exported, wasmApi.validate(bytes) ? new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } }).exports[exported] : undefined);
  }
  return made.get(exported) as F | undefined;
}
