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
  return specs.map((spec) => {
    const source = split.inputs[spec.name];
    if (!source) throw new Error(`Bug: encoded data has no input "${spec.name}"`);
    const width = widthOf(spec);
    const out = spec.dtype === 'int32' ? new Int32Array(rows.length * width) : new Float32Array(rows.length * width);
    for (let i = 0; i < rows.length; i++) {
      const from = (rows[i] as number) * width;
      const to = i * width;
      // Narrow rows (one id, a few numbers) by index: a subarray per row cost more than the copy.
      if (width > 16) out.set(source.subarray(from, from + width), to);
      else for (let k = 0; k < width; k++) out[to + k] = source[from + k] as number;
    }
    return tf.tensor(out, [rows.length, ...spec.shape], spec.dtype);
  });
}

export function batchLabels(split: EncodedSplit, name: string, rows: ArrayLike<number>): tf.Tensor2D {
  const source = split.labels[name];
  if (!source) throw new Error(`Bug: encoded data has no labels for "${name}"`);
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = source[rows[i] as number] as number;
  return tf.tensor2d(out, [rows.length, 1]);
}

/** Row indices [start, end) as an array, for batches in file order. */
export const range = (start: number, end: number): Int32Array => Int32Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
