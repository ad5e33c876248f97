import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledGraph } from '../../../app/compile/to-tfjs';
import type { PreparedData } from '../../../app/data/prepare';
import type { Graph } from '../../../app/graph/schema';
import { gatherInputs, gatherLabels, range, type EncodedSplit } from '../../../app/train/encoded';
import { ReplicaError, ReplicaPool } from '../../../app/train/replica-pool';
import { computeShard, replicaModel } from '../../../app/train/replica-step';
import { concatenated, isShared, sharedSplit, shardStarts, type Replicas, type ShardBatch, type ShardResult } from '../../../app/train/replicas';
import { computeStep, makeOptimizer, trainedOutputs, trainModel, type TrainOptions } from '../../../app/train/session';
import { allWeights, binding, compile, prepare, tempDir, twoTaskCsv, twoTaskGraph, useBackend } from './helpers';

/**
 * Data-parallel training (app/train/replicas.ts, replica-pool.ts): each batch cut into shards, the
 * replicas' gradients summed into one update. Checked against one thread's full-batch gradient,
 * for reproducibility, for batch-norm statistics, and through real worker threads against the same
 * arithmetic run in this thread.
 */
const tmp = tempDir();
const FILE = tmp.write('two-tasks.csv', twoTaskCsv(600, 4));
let prepared: PreparedData;

/** The two-task graph with batch norm in its bottom MLP: moving statistics that the replicas must merge. */
function batchNormGraph(): Graph {
  const graph = twoTaskGraph({ name: 'Two tasks, batch norm' });
  return { ...graph, nodes: graph.nodes.map((n) => (n.id === 'bottom' ? { ...n, params: { ...n.params, batchNorm: true } } : n)) };
}

beforeAll(async () => {
  await useBackend('cpu');
  const shape = compile(twoTaskGraph());
  prepared = await prepare(shape, binding(), { train: FILE }, { validation: 0, seed: 2 });
  shape.model.dispose();
});
afterAll(() => tmp.cleanup());

/** Replicas run one after another in this thread: the same arithmetic as a worker's, without the messages. */
class InThreadReplicas implements Replicas {
  readonly steps: number[] = [];
  private constructor(private readonly replicas: ReturnType<typeof replicaModel>[]) {}
  static of(graph: Graph, count: number): InThreadReplicas {
    return new InThreadReplicas(Array.from({ length: count }, () => replicaModel(compile(graph))));
  }
  get count(): number {
    return this.replicas.length;
  }
  async step(weights: Float32Array, shards: readonly ShardBatch[]): Promise<(ShardResult | undefined)[]> {
    this.steps.push(shards.reduce((n, s) => n + s.rows, 0));
    return shards.map((shard, k) => {
      const replica = this.replicas[k];
      if (!replica || shard.rows === 0) return undefined;
      const values = 'split' in shard ? { xs: gatherInputs(shard.split, replica.compiled.inputs, shard.indices), ys: replica.tasks.map((t) => gatherLabels(shard.split, t.name, shard.indices)) } : shard;
      return computeShard(replica, weights, { rows: shard.rows, scale: shard.scale, ...values });
    });
  }
  dispose(): void {
    for (const r of this.replicas) r.compiled.model.dispose();
  }
}

const options: TrainOptions = { optimizer: 'adam', learningRate: 0.01, batchSize: 64, epochs: 2, seed: 3 };

async function train(compiled: CompiledGraph, split: EncodedSplit, replicas?: Replicas, extra: Partial<TrainOptions> = {}): Promise<Float32Array[]> {
  const result = await trainModel(compiled.model, compiled, { train: split }, { ...options, ...extra }, replicas ? { replicas } : {});
  expect(result.stopReason).toBe('completed');
  return allWeights(compiled.model);
}

const maxRelativeDifference = (a: readonly Float32Array[], b: readonly Float32Array[]) =>
  Math.max(...a.map((w, i) => Math.max(...Array.from(w, (v, j) => Math.abs(v - ((b[i] as Float32Array)[j] as number)) / Math.max(1e-3, Math.abs(v))))));

describe('shard boundaries', () => {
  it('cut a batch into contiguous shards, the first never empty', () => {
    expect(shardStarts(4096, 2)).toEqual([0, 2048, 4096]);
    expect(shardStarts(5, 3)).toEqual([0, 2, 4, 5]);
    // A one-row last batch: all of it on this thread, nothing for the replica.
    expect(shardStarts(1, 2)).toEqual([0, 1, 1]);
  });
});

describe('sharded gradients', () => {
  it('equal the full batch\'s gradient (shard losses scaled by their share of the rows)', async () => {
    const graph = twoTaskGraph();
    const compiled = compile(graph);
    const { model, outputs } = compiled;
    const tasks = trainedOutputs(outputs);
    const outputIndex = new Map(outputs.map((o, i) => [o.name, i]));
    const optimizer = makeOptimizer('adam', 0.01);
    const rows = range(0, 100);
    const batchOf = (r: Int32Array) => () => ({
      xs: gatherInputs(prepared.train, compiled.inputs, r).map((x, i) => tf.tensor(x, [r.length, ...(compiled.inputs[i]?.shape ?? [])], compiled.inputs[i]?.dtype)),
      ys: tasks.map((t) => tf.tensor2d(gatherLabels(prepared.train, t.name, r), [r.length, 1])),
    });
    const full = computeStep(model, optimizer, tasks, outputIndex, (o) => o.lossWeight, batchOf(rows));
    // 100 rows as 34 + 33 + 33: this thread's shard and two replicas' (run here, on copies of the weights).
    const replicas = InThreadReplicas.of(graph, 2);
    const starts = shardStarts(100, 3);
    expect(starts).toEqual([0, 34, 67, 100]);
    const weights = concatenated(model.getWeights());
    const shards = [1, 2].map((k) => {
      const r = rows.subarray(starts[k] as number, starts[k + 1] as number);
      return { split: prepared.train, indices: r, rows: r.length, scale: r.length / 100 };
    });
    const theirs = await replicas.step(weights, shards);
    const mine = computeStep(model, optimizer, tasks, outputIndex, (o) => o.lossWeight, batchOf(rows.subarray(0, 34)), 0.34);
    let at = 0;
    for (const [index, weight] of model.trainableWeights.entries()) {
      const size = weight.read().size;
      const expected = full.grads[weight.name]?.dataSync() as Float32Array;
      const summed = Float32Array.from(mine.grads[weight.name]?.dataSync() as Float32Array, (v, i) => v + theirs.reduce((s, r) => s + (r?.reached[index] ? (r.grads[at + i] as number) : 0), 0));
      for (let i = 0; i < size; i++) expect(summed[i]).toBeCloseTo(expected[i] as number, 6);
      at += size;
    }
    // The total is the full batch's mean loss; each task's loss is its shard's mean (unscaled).
    const total = (mine.total.dataSync()[0] as number) + theirs.reduce((s, r) => s + (r?.losses[0] as number), 0);
    expect(total).toBeCloseTo(full.total.dataSync()[0] as number, 6);
    tf.dispose([full.total, ...full.perTask, ...Object.values(full.grads), mine.total, ...mine.perTask, ...Object.values(mine.grads)]);
    replicas.dispose();
    model.dispose();
    optimizer.dispose();
  });

  it('train to the weights of one thread (within float rounding), the same bits every time, with no tensor left behind', async () => {
    const one = compile(twoTaskGraph(), 5);
    const single = await train(one, prepared.train);
    const runs: Float32Array[][] = [];
    for (let i = 0; i < 2; i++) {
      const compiled = compile(twoTaskGraph(), 5);
      const replicas = InThreadReplicas.of(twoTaskGraph(), 1);
      const before = tf.memory().numTensors;
      runs.push(await train(compiled, prepared.train, replicas));
      expect(tf.memory().numTensors).toBe(before);
      // Every batch was cut, the replica's share of each: 600 rows in batches of 64 (the last of 24 rows), 2 epochs.
      expect(prepared.train.rows).toBe(600);
      expect(replicas.steps).toEqual(Array.from({ length: 2 }, () => [...Array.from({ length: 9 }, () => 32), 12]).flat());
      replicas.dispose();
      compiled.model.dispose();
    }
    const [first, second] = runs as [Float32Array[], Float32Array[]];
    expect(second.map((w) => Array.from(w))).toEqual(first.map((w) => Array.from(w)));
    expect(maxRelativeDifference(single, first)).toBeLessThan(1e-3);
    expect(maxRelativeDifference(single, first)).toBeGreaterThan(0); // different sums, not a silent one-thread run
    one.model.dispose();
  });

  it('keep the batch-norm moving statistics of the whole batch (the mean exactly, as one thread)', async () => {
    const graph = batchNormGraph();
    const single = compile(graph, 5);
    const sharded = compile(graph, 5);
    const replicas = InThreadReplicas.of(graph, 1);
    const firstBatch = { ...prepared.train, rows: 64, inputs: prepared.train.inputs, labels: prepared.train.labels };
    const oneStep: Partial<TrainOptions> = { epochs: 1, batchSize: 64, optimizer: 'sgd', learningRate: 0 };
    await train(single, firstBatch, undefined, oneStep);
    await train(sharded, firstBatch, replicas, oneStep);
    const moving = (m: tf.LayersModel) => m.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
    const [meanOne, varianceOne] = moving(single.model) as [number[], number[]];
    const [meanTwo, varianceTwo] = moving(sharded.model) as [number[], number[]];
    expect(single.model.nonTrainableWeights.map((w) => w.name.split('/').pop())).toEqual(['moving_mean', 'moving_variance']);
    expect(meanOne.some((v) => v !== 0)).toBe(true);
    meanOne.forEach((v, i) => expect(meanTwo[i]).toBeCloseTo(v, 6));
    // The variance is the shards' average variance (as DDP without SyncBatchNorm): close, not equal.
    varianceOne.forEach((v, i) => expect(Math.abs((varianceTwo[i] as number) - v)).toBeLessThan(0.05 * Math.max(1, Math.abs(v))));
    replicas.dispose();
    single.model.dispose();
    sharded.model.dispose();
  });
});

describe('replica threads', () => {
  it('give the same weights as the same replicas run in this thread, from shared memory and from gathered rows', async () => {
    const graph = twoTaskGraph();
    const reference = compile(graph, 5);
    const inThread = InThreadReplicas.of(graph, 1);
    const expected = await train(reference, prepared.train, inThread);
    inThread.dispose();
    const pool = await ReplicaPool.start({ graph, seed: 7, backend: 'cpu' }, 1, reference.model.weights.map((w) => w.read().size));
    if ('error' in pool) throw new Error(pool.error);
    try {
      const shared = sharedSplit(prepared.train);
      expect(isShared(shared)).toBe(true);
      expect(isShared(prepared.train)).toBe(false);
      for (const split of [shared, prepared.train]) {
        const compiled = compile(graph, 5);
        const weights = await train(compiled, split, pool);
        expect(weights.map((w) => Array.from(w))).toEqual(expected.map((w) => Array.from(w)));
        compiled.model.dispose();
      }
    } finally {
      await pool.dispose();
      reference.model.dispose();
    }
  }, 60_000);

  it('that cannot start are an error value (the run goes on one thread), and one that dies fails the run with its reason', async () => {
    const graph = twoTaskGraph();
    const sizes = compile(graph).model.weights.map((w) => w.read().size);
    const missing = tmp.write('not-a-worker.mjs', 'throw new Error("no replica here");\n');
    const refused = await ReplicaPool.start({ graph, backend: 'cpu' }, 1, sizes, new URL(`file://${missing}`));
    expect(refused).toEqual({ error: 'no replica here' });
    const wrongSizes = await ReplicaPool.start({ graph, backend: 'cpu' }, 1, [1, 2, 3]);
    expect('error' in wrongSizes && wrongSizes.error).toMatch(/^a replica built weights of sizes [\d,]+, this thread 1,2,3$/);

    const pool = await ReplicaPool.start({ graph, backend: 'cpu' }, 1, sizes);
    if ('error' in pool) throw new Error(pool.error);
    const compiled = compile(graph, 5);
    await pool.dispose(); // the thread is gone before the first step
    const before = tf.memory().numTensors;
    const failed = trainModel(compiled.model, compiled, { train: prepared.train }, options, { replicas: pool });
    await expect(failed).rejects.toThrow(/^training thread 2 failed: the thread exited \(code \d+\)$/);
    // A ReplicaError, which run.ts turns into a failed run with this reason in its log.
    await expect(failed).rejects.toBeInstanceOf(ReplicaError);
    expect(tf.memory().numTensors).toBe(before);
    compiled.model.dispose();
  }, 60_000);
});
