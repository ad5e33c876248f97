import * as tf from '@tensorflow/tfjs';
import type { ModelInputSpec } from '../compile/to-tfjs';

/**
 * A split of a data set after encoding: columnar typed arrays, one per model input (row-major,
 * `rows × width`) and one per labelled output. This is all the training loop sees, so it runs the
 * same in Node and in a browser renderer.
 */
export interface EncodedSplit {
  rows: number;
  inputs: Record<string, Int32Array | Float32Array>;
  labels: Record<string, Float32Array>;
  /** Group id per row (the user, for GAUC), when the binding names a group column. */
  groups?: Int32Array;
  /** The one-id inputs again, row by row (withPackedIds), which batches are gathered from. */
  packedIds?: PackedIds;
}

/** Inputs of one id per row, interleaved: row r's ids are values[r · names.length ...]. */
export interface PackedIds {
  names: readonly string[];
  values: Int32Array;
}

/** The fewest one-id inputs worth packing, and the most bytes a packed copy may take. */
const PACK_MIN_INPUTS = 4;
const PACK_MAX_BYTES = 256 * 2 ** 20;

/**
 * The split with its one-id inputs also packed row by row, when it has at least PACK_MIN_INPUTS
 * of them and the copy fits in PACK_MAX_BYTES (else the split as it is). A random batch then reads
 * each row's ids as one run instead of one scattered value per input: census's 32 id columns at
 * batch 512 were 16,000 cache misses a step, about a millisecond of a 5 ms step. The copy is in
 * shared memory when the split is (replicas read it there).
 */
export function withPackedIds(split: EncodedSplit, specs: readonly ModelInputSpec[]): EncodedSplit {
  if (split.packedIds) return split;
  const names = specs.filter((spec) => spec.dtype === 'int32' && widthOf(spec) === 1 && split.inputs[spec.name] instanceof Int32Array).map((spec) => spec.name);
  const bytes = split.rows * names.length * 4;
  if (names.length < PACK_MIN_INPUTS || bytes > PACK_MAX_BYTES) return split;
  const shared = typeof SharedArrayBuffer !== 'undefined' && Object.values(split.inputs).every((a) => a.buffer instanceof SharedArrayBuffer);
  const values = new Int32Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const count = names.length;
  names.forEach((name, c) => {
    const column = split.inputs[name] as Int32Array;
    for (let r = 0; r < split.rows; r++) values[r * count + c] = column[r] as number;
  });
  return { ...split, packedIds: { names, values } };
}

export const widthOf = (spec: ModelInputSpec): number => spec.shape.reduce((a, b) => a * b, 1);

/** Gathers the given rows of every input into tensors, in model input order. */
export function batchInputs(split: EncodedSplit, specs: readonly ModelInputSpec[], rows: ArrayLike<number>): tf.Tensor[] {
  return gatherInputs(split, specs, rows).map((values, i) => tf.tensor(values, [rows.length, ...(specs[i] as ModelInputSpec).shape], (specs[i] as ModelInputSpec).dtype));
}

/** The rows' values of each input, in the model's input order: what a batch tensor is made of, or what goes to another thread. */
export function gatherInputs(split: EncodedSplit, specs: readonly ModelInputSpec[], rows: ArrayLike<number>): (Int32Array | Float32Array)[] {
  const packed = split.packedIds ? gatherPacked(split.packedIds, rows) : undefined;
  return specs.map((spec) => {
    const fromPacked = packed?.get(spec.name);
    if (fromPacked) return fromPacked;
    const source = split.inputs[spec.name];
    if (!source) throw new Error(`Bug: encoded data has no input "${spec.name}"`);
    const width = widthOf(spec);
    return source instanceof Int32Array ? gatherIds(source, width, rows) : gatherValues(source, width, rows);
  });
}

/** Each packed input's ids for the rows, by input name. */
function gatherPacked(packed: PackedIds, rows: ArrayLike<number>): Map<string, Int32Array> {
  const count = packed.names.length;
  const outs = packed.names.map(() => new Int32Array(rows.length));
  const values = packed.values;
  for (let i = 0; i < rows.length; i++) {
    const base = (rows[i] as number) * count;
    for (let c = 0; c < count; c++) (outs[c] as Int32Array)[i] = values[base + c] as number;
  }
  return new Map(packed.names.map((name, c) => [name, outs[c] as Int32Array]));
}

// Two copies of one loop, each seeing one typed-array type: indexing a union of them made the
// copy about three times slower.
function gatherIds(source: Int32Array, width: number, rows: ArrayLike<number>): Int32Array {
  const out = new Int32Array(rows.length * width);
  if (width === 1) for (let i = 0; i < rows.length; i++) out[i] = source[rows[i] as number] as number;
  else if (width > 16) for (let i = 0; i < rows.length; i++) out.set(source.subarray((rows[i] as number) * width, ((rows[i] as number) + 1) * width), i * width);
  else {
    for (let i = 0; i < rows.length; i++) {
      const from = (rows[i] as number) * width;
      for (let k = 0; k < width; k++) out[i * width + k] = source[from + k] as number;
    }
  }
  return out;
}

function gatherValues(source: Float32Array, width: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * width);
  if (width === 1) for (let i = 0; i < rows.length; i++) out[i] = source[rows[i] as number] as number;
  else if (width > 16) for (let i = 0; i < rows.length; i++) out.set(source.subarray((rows[i] as number) * width, ((rows[i] as number) + 1) * width), i * width);
  else {
    // Narrow rows (a few numbers) by index: a subarray per row cost more than the copy.
    for (let i = 0; i < rows.length; i++) {
      const from = (rows[i] as number) * width;
      for (let k = 0; k < width; k++) out[i * width + k] = source[from + k] as number;
    }
  }
  return out;
}

export function batchLabels(split: EncodedSplit, name: string, rows: ArrayLike<number>): tf.Tensor2D {
  return tf.tensor2d(gatherLabels(split, name, rows), [rows.length, 1]);
}

export function gatherLabels(split: EncodedSplit, name: string, rows: ArrayLike<number>): Float32Array {
  const source = split.labels[name];
  if (!source) throw new Error(`Bug: encoded data has no labels for "${name}"`);
  return gatherValues(source, 1, rows);
}

/** Row indices [start, end) as an array, for batches in file order. */
export const range = (start: number, end: number): Int32Array => Int32Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
