import * as tf from '@tensorflow/tfjs';
import type { CompiledGraph, ModelOutputSpec } from '../compile/to-tfjs';
import { own } from '../data/records';
import type { ShardResult } from './replicas';
import { computeStep, trainedOutputs } from './session';

/** A replica's model and what a step needs to know about it (replica-worker.ts, and tests in one thread). */
export interface ReplicaModel {
  compiled: CompiledGraph;
  tasks: ModelOutputSpec[];
  outputIndex: Map<string, number>;
  weightOf: (o: ModelOutputSpec) => number;
  optimizer: tf.Optimizer;
}

export function replicaModel(compiled: CompiledGraph, lossWeights?: Record<string, number>): ReplicaModel {
  const { outputs } = compiled;
  return {
    compiled,
    tasks: trainedOutputs(outputs),
    outputIndex: new Map(outputs.map((o, i) => [o.name, i])),
    weightOf: (o) => own(lossWeights, o.name) ?? o.lossWeight,
    // Only for computeGradients: the update is the main thread's.
    optimizer: tf.train.sgd(0),
  };
}

/**
 * One shard on a replica: the main thread's weights (flat, model.getWeights() order) put into the
 * model, the shard's scaled loss and its gradients, answered as plain arrays (replicas.ts).
 */
export function computeShard(replica: ReplicaModel, weights: Float32Array, shard: { rows: number; scale: number; xs: (Int32Array | Float32Array)[]; ys: Float32Array[] }): ShardResult {
  const { model, inputs } = replica.compiled;
  let at = 0;
  const values = model.weights.map((w) => {
    const { shape, size } = w.read();
    const t = tf.tensor(weights.subarray(at, at + size), shape);
    at += size;
    return t;
  });
  model.setWeights(values);
  tf.dispose(values);
  const { total, perTask, grads } = computeStep(
    model,
    replica.optimizer,
    replica.tasks,
    replica.outputIndex,
    replica.weightOf,
    () => ({
      xs: shard.xs.map((x, i) => tf.tensor(x, [shard.rows, ...(inputs[i]?.shape ?? [])], inputs[i]?.dtype)),
      ys: shard.ys.map((y) => tf.tensor2d(y, [shard.rows, 1])),
    }),
    shard.scale,
  );
  const trainable = model.trainableWeights;
  const flat = new Float32Array(trainable.reduce((n, w) => n + w.read().size, 0));
  const reached = new Uint8Array(trainable.length);
  let offset = 0;
  trainable.forEach((w, i) => {
    const g = grads[w.name];
    if (g) {
      flat.set(g.dataSync() as Float32Array, offset);
      reached[i] = 1;
    }
    offset += w.read().size;
  });
  const losses = Float32Array.from([total, ...perTask], (t) => (t.dataSync() as Float32Array)[0] as number);
  tf.dispose([total, ...perTask, ...Object.values(grads)]);
  const state = new Float32Array(model.nonTrainableWeights.reduce((n, w) => n + w.read().size, 0));
  offset = 0;
  for (const w of model.nonTrainableWeights) {
    const v = w.read();
    state.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  return { grads: flat, reached, losses, state };
}
