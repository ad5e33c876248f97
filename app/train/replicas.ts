import * as tf from '@tensorflow/tfjs';
import type { EncodedSplit } from './encoded';

/**
 * Data-parallel training on the CPU: each step's batch is cut into contiguous shards, this thread
 * computes the first shard's gradients while replicas (worker threads, replica-pool.ts) compute the
 * others' on copies of the same weights, and the gradients are summed in shard order into one
 * update made here. Each shard's loss is scaled by its share of the batch, so the sum is the
 * gradient of the batch's mean loss, as one thread computes it (up to float rounding: the same
 * order every step, so a seed and a thread count give the same weights bit for bit).
 *
 * This module is what the training loop (session.ts) sees: no Node APIs, so the loop still runs
 * in a browser window, where no replicas are given.
 */
export interface Replicas {
  /** How many other threads compute shards (the batch is cut into count + 1 shards). */
  readonly count: number;
  /**
   * Computes the shards on the replicas from `weights` (every weight of the model, in
   * model.getWeights() order, concatenated). Shards with no rows are not sent and get no result.
   */
  step(weights: Float32Array, shards: readonly ShardBatch[]): Promise<(ShardResult | undefined)[]>;
}

/**
 * One shard: its rows of a split in shared memory (sharedSplit), which the replica gathers itself,
 * or its inputs (model input order) and labels (trained task order) gathered on this thread.
 */
export type ShardBatch = {
  rows: number;
  /** The shard's share of the batch's rows: its loss is multiplied by it. */
  scale: number;
} & ({ split: EncodedSplit; indices: Int32Array } | { xs: (Int32Array | Float32Array)[]; ys: Float32Array[] });

/**
 * The split with its arrays in SharedArrayBuffers, which replicas read in place: a step then sends
 * only row numbers, and each thread gathers its own shard. Where SharedArrayBuffer is missing
 * (a window without cross-origin isolation) the split is returned as it is.
 */
export function sharedSplit(split: EncodedSplit): EncodedSplit {
  if (typeof SharedArrayBuffer === 'undefined' || isShared(split)) return split;
  const share = <T extends Int32Array | Float32Array>(values: T): T => {
    const copy = new (values.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(values.byteLength));
    copy.set(values);
    return copy;
  };
  return {
    ...split,
    inputs: Object.fromEntries(Object.entries(split.inputs).map(([name, values]) => [name, share(values)])),
    labels: Object.fromEntries(Object.entries(split.labels).map(([name, values]) => [name, share(values)])),
  };
}

export function isShared(split: EncodedSplit): boolean {
  const arrays = [...Object.values(split.inputs), ...Object.values(split.labels)];
  return typeof SharedArrayBuffer !== 'undefined' && arrays.every((a) => a.buffer instanceof SharedArrayBuffer);
}

/** A replica's answer for one shard. */
export interface ShardResult {
  /** Gradients of the scaled loss, every trainable weight in model.trainableWeights order, concatenated. */
  grads: Float32Array;
  /** Per trainable weight: 1 where the loss reached it (a gradient), 0 where not (zeros in grads). */
  reached: Uint8Array;
  /** [scaled total, ...per-task losses unscaled]. */
  losses: Float32Array;
  /** The non-trainable weights after the step (batch-norm moving statistics), concatenated. */
  state: Float32Array;
}

/** Where the rows of shard k start in a batch of n rows cut into `parts` shards: the first shard is never empty. */
export function shardStarts(n: number, parts: number): number[] {
  return Array.from({ length: parts + 1 }, (_, k) => Math.ceil((k * n) / parts));
}

/** Every tensor's values in one array, in order. */
export function concatenated(tensors: readonly tf.Tensor[]): Float32Array {
  const out = new Float32Array(tensors.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, at);
    at += t.size;
  }
  return out;
}

/**
 * This thread's share of a step, combined with the replicas' results: summed gradients (shard
 * order), the batch's total and per-task losses, and the averaged non-trainable state written into
 * the model. `mine` is this thread's shard (its total already scaled, its per-task losses not).
 */
export function combineShards(
  model: tf.LayersModel,
  mine: { total: tf.Scalar; perTask: tf.Scalar[]; grads: tf.NamedTensorMap; scale: number },
  results: readonly (ShardResult | undefined)[],
  scales: readonly number[],
): { total: tf.Scalar; perTask: tf.Scalar[]; grads: tf.NamedTensorMap } {
  const answered = results.flatMap((r, k) => (r ? [{ result: r, scale: scales[k] as number }] : []));
  const combined = tf.tidy(() => {
    const grads: tf.NamedTensorMap = {};
    let at = 0;
    model.trainableWeights.forEach((weight, index) => {
      // A LayerVariable's name is its tf.Variable's, the key of computeGradients' map.
      const name = weight.name;
      const { shape, size } = weight.read();
      let sum: tf.Tensor | undefined = mine.grads[name];
      for (const { result } of answered) {
        if (!result.reached[index]) continue;
        const theirs = tf.tensor(result.grads.subarray(at, at + size), shape);
        sum = sum ? tf.add(sum, theirs) : theirs;
      }
      if (sum) grads[name] = sum;
      at += size;
    });
    const total = answered.reduce<tf.Scalar>((t, { result }) => tf.add(t, tf.scalar(result.losses[0] as number)), mine.total);
    const perTask = mine.perTask.map((own, i) =>
      answered.reduce<tf.Scalar>((t, { result, scale }) => tf.add(t, tf.scalar(((result.losses[i + 1] as number) * scale))), tf.mul(own, mine.scale)),
    );
    return { grads, total, perTask };
  });
  if (model.nonTrainableWeights.length > 0 && answered.length > 0) averageState(model, mine.scale, answered);
  return combined;
}

/**
 * Batch-norm moving statistics: each replica updated its own copy from its shard; the model keeps
 * their average weighted by rows, which for a moving mean is exactly the update from the whole
 * batch's mean. (The variance is the shards' average variance, as PyTorch's DDP without SyncBN.)
 */
function averageState(model: tf.LayersModel, ownScale: number, answered: readonly { result: ShardResult; scale: number }[]): void {
  let at = 0;
  const values = model.nonTrainableWeights.map((weight) => {
    const current = weight.read();
    const size = current.size;
    const own = current.dataSync() as Float32Array;
    const mixed = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      let v = (own[i] as number) * ownScale;
      for (const { result, scale } of answered) v += (result.state[at + i] as number) * scale;
      mixed[i] = v;
    }
    at += size;
    return tf.tensor(mixed, current.shape);
  });
  model.nonTrainableWeights.forEach((weight, i) => weight.write(values[i] as tf.Tensor));
  tf.dispose(values);
}
