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
}

export const widthOf = (spec: ModelInputSpec): number => spec.shape.reduce((a, b) => a * b, 1);

/** Gathers the given rows of every input into tensors, in model input order. */
export function batchInputs(split: EncodedSplit, specs: readonly ModelInputSpec[], rows: ArrayLike<number>): tf.Tensor[] {
  return gatherInputs(split, specs, rows).map((values, i) => tf.tensor(values, [rows.length, ...(specs[i] as ModelInputSpec).shape], (specs[i] as ModelInputSpec).dtype));
}

/** The rows' values of each input, in the model's input order: what a batch tensor is made of, or what goes to another thread. */
export function gatherInputs(split: EncodedSplit, specs: readonly ModelInputSpec[], rows: ArrayLike<number>): (Int32Array | Float32Array)[] {
  return specs.map((spec) => {
    const source = split.inputs[spec.name];
    if (!source) throw new Error(`Bug: encoded data has no input "${spec.name}"`);
    const width = widthOf(spec);
    return source instanceof Int32Array ? gatherIds(source, width, rows) : gatherValues(source, width, rows);
  });
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
