import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledMmoe } from '../../../bench/models';
import { ADAM_KERNEL, useAdamSimd, wasmAdamPath } from '../../../app/engine/adam-kernel';
import { chooseBackend } from '../../../app/engine/backend';
import { GroupedAdam } from '../../../app/train/grouped-adam';

/**
 * GroupedAdam must be tfjs's Adam, only with fewer kernels: the same weights, bit for bit, after
 * several steps over variables of different shapes (a 2-D table, kernels, a bias, a scalar).
 */
function trainWith(makeOptimizer: () => tf.Optimizer, steps: number): { weights: number[][] } {
  return tf.tidy(() => {
    const shapes = [[7, 3], [3, 4], [4], []];
    const variables = shapes.map((shape, i) => tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 10 + i), true, `grouped_adam_test_${i}_${Math.random()}`));
    const x = tf.randomNormal([5, 7], 0, 1, 'float32', 3);
    const loss = () =>
      tf.tidy(() => {
        const [table, kernel, bias, scale] = variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
        const hidden = tf.relu(tf.matMul(x, table));
        return tf.mul(tf.sum(tf.square(tf.add(tf.matMul(hidden, kernel), bias))), tf.sigmoid(scale)) as tf.Scalar;
      });
    const optimizer = makeOptimizer();
    for (let step = 0; step < steps; step++) {
      const { grads, value } = optimizer.computeGradients(loss);
      value.dispose();
      optimizer.applyGradients(grads);
      tf.dispose(Object.values(grads));
    }
    optimizer.dispose();
    const weights = variables.map((v) => Array.from(v.dataSync()));
    tf.dispose(variables);
    return { weights };
  });
}

describe('GroupedAdam', () => {
  afterAll(async () => {
    useAdamSimd(true);
    await tf.setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`gives tfjs Adam's weights bit for bit after 6 steps on ${backend}`, async () => {
      const choice = await chooseBackend(backend);
      if ('error' in choice) throw new Error(choice.error);
      const stock = trainWith(() => tf.train.adam(0.01), 6);
      const grouped = trainWith(() => new GroupedAdam(0.01), 6);
      expect(grouped.weights).toEqual(stock.weights);
      // and the weights did move
      expect(stock.weights[1]).not.toEqual(trainWith(() => tf.train.adam(0.01), 0).weights[1]);
    });
  }

  it('runs one update for all variables: far fewer kernels than tfjs Adam, and leaves no tensors behind', async () => {
    await tf.setBackend('cpu');
    const count = async (make: () => tf.Optimizer) => (await tf.profile(() => void trainWith(make, 3))).kernels.length;
    const stock = await count(() => tf.train.adam(0.01));
    const grouped = await count(() => new GroupedAdam(0.01));
    expect(grouped).toBeLessThan(stock);
    const before = tf.memory().numTensors;
    trainWith(() => new GroupedAdam(0.01), 3);
    expect(tf.memory().numTensors).toBe(before);
  });

  /** The optimizer's private state, read for the comparison (not part of its API). */
  type Internals = { state?: { m: tf.Variable; v: tf.Variable }; accBeta1: tf.Variable; accBeta2: tf.Variable };
  /** A float32 tensor's bytes, as base64 (compared quickly, and -0, NaN payloads included). */
  const bytes = (t: tf.Tensor): string => Buffer.from((t.dataSync() as Float32Array).slice().buffer).toString('base64');

  /**
   * `steps` updates of `variables` by a GroupedAdam, the gradients from `gradientsAt(step)`; the
   * bytes of every weight, of the moments and of the accumulated betas afterwards, the kernels the
   * updates launched, and the tensor count after each step. The variables are restored after.
   */
  async function updateWith(variables: tf.Variable[], opByOp: boolean, steps: number, gradientsAt: (step: number) => tf.Tensor[], rates?: number[]) {
    const start = variables.map((v) => v.clone());
    const optimizer = new GroupedAdam(0.01, 0.9, 0.999, undefined, { opByOp });
    const kernels: string[] = [];
    const counts: number[] = [];
    for (let step = 0; step < steps; step++) {
      if (rates) optimizer.setLearningRate(rates[step] as number);
      const gradients = gradientsAt(step);
      const profile = await tf.profile(() => optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: gradients[i] as tf.Tensor }))));
      kernels.push(...profile.kernels.map((k) => k.name));
      tf.dispose(gradients);
      counts.push(tf.memory().numTensors);
    }
    const internals = optimizer as unknown as Internals; // private fields, read only
    const state = internals.state;
    if (!state) throw new Error('no moments after the updates');
    const result = { weights: variables.map(bytes), m: bytes(state.m), v: bytes(state.v), acc: [bytes(internals.accBeta1), bytes(internals.accBeta2)], kernels, counts };
    optimizer.dispose();
    variables.forEach((v, i) => v.assign(start[i] as tf.Tensor));
    tf.dispose(start);
    return result;
  }

  /** The backend, and on wasm the path its kernel takes (the SIMD module, or the stock kernels called directly). */
  async function setUp(backend: 'cpu' | 'wasm', path: 'simd' | 'stock' | undefined): Promise<void> {
    const choice = await chooseBackend(backend);
    if ('error' in choice) throw new Error(choice.error);
    useAdamSimd(path !== 'stock');
    expect(wasmAdamPath()).toBe(path);
  }

  for (const [backend, path] of [['cpu', undefined], ['wasm', 'simd'], ['wasm', 'stock']] as const) {
    const on = path ? `${backend} (${path})` : backend;
    it(`runs the update as one ${ADAM_KERNEL} kernel on ${on}, bit for bit the op-by-op update (weights, moments), tensor count constant`, async () => {
      await setUp(backend, path);
      const shapes = [[7, 3], [3, 4], [4], [], [2, 3, 5]];
      const variables = shapes.map((shape, i) => tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 20 + i), true, `grouped_adam_fused_${i}_${Math.random()}`));
      // Gradients of all scales (seeds from 1: tfjs takes a seed of 0 as none), with zeros, subnormals and huge values among them.
      const gradientsAt = (step: number) =>
        shapes.map((shape, i) =>
          tf.tidy(() => {
            const base = tf.randomNormal(shape, 0, 1, 'float32', 100 * step + i + 1);
            const scale = [1, 1e-3, 1e-20, 1e30, 0][(step + i) % 5] as number;
            return tf.mul(base, tf.scalar(scale));
          }),
        );
      const rates = [0.01, 0.01, 0.003, 0.1, 1e-5, 0.0007, 0.01];
      const fused = await updateWith(variables, false, rates.length, gradientsAt, rates);
      const stock = await updateWith(variables, true, rates.length, gradientsAt, rates);
      expect(fused.weights).toEqual(stock.weights);
      expect(fused.m).toEqual(stock.m);
      expect(fused.v).toEqual(stock.v);
      expect(fused.acc).toEqual(stock.acc);
      expect(fused.kernels).toEqual(Array(rates.length).fill(ADAM_KERNEL));
      expect(stock.kernels.length).toBeGreaterThan(20 * rates.length);
      // the weights did move, and no step left a tensor behind
      expect(fused.weights[1]).not.toEqual(bytes(variables[1] as tf.Variable));
      expect(new Set(fused.counts).size).toBe(1);
      tf.dispose(variables);
    });

    it(`gives the op-by-op path's weights bit for bit over 6 steps of a small model on ${on}`, async () => {
      await setUp(backend, path);
      const bits = (weights: number[][]) => weights.map((w) => Buffer.from(Float32Array.from(w).buffer).toString('base64'));
      const fused = trainWith(() => new GroupedAdam(0.01), 6);
      const stock = trainWith(() => new GroupedAdam(0.01, 0.9, 0.999, undefined, { opByOp: true }), 6);
      expect(bits(fused.weights)).toEqual(bits(stock.weights));
      expect(bits(fused.weights)).toEqual(bits(trainWith(() => tf.train.adam(0.01), 6).weights));
    });

    it(`updates census MMoE's variables as the op-by-op path does, bit for bit, on ${on}`, async () => {
      await setUp(backend, path);
      const { model } = compiledMmoe(7);
      const variables = model.trainableWeights.map((w) => tf.engine().registeredVariables[w.name]).filter((v): v is tf.Variable => v !== undefined);
      expect(variables.length).toBeGreaterThan(5);
      const gradientsAt = (step: number) => variables.map((v, i) => tf.randomNormal(v.shape, 0, 0.1, 'float32', 1000 * step + i + 1));
      const fused = await updateWith(variables, false, 2, gradientsAt);
      const stock = await updateWith(variables, true, 2, gradientsAt);
      expect(fused.weights).toEqual(stock.weights);
      expect(fused.m).toEqual(stock.m);
      expect(fused.v).toEqual(stock.v);
      model.dispose();
    });

    it(`leaves the old data to a clone taken before the step on ${on}`, async () => {
      await setUp(backend, path);
      const variable = tf.variable(tf.tensor1d([1, 2, 3]), true, `grouped_adam_clone_${Math.random()}`);
      const kept = variable.clone();
      const optimizer = new GroupedAdam(0.1);
      const gradient = tf.tensor1d([1, -1, 0.5]);
      optimizer.applyGradients([{ name: variable.name, tensor: gradient }]);
      expect(Array.from(kept.dataSync())).toEqual([1, 2, 3]);
      expect(Array.from(variable.dataSync())).not.toEqual([1, 2, 3]);
      tf.dispose([variable, kept, gradient]);
      optimizer.dispose();
    });
  }
});
