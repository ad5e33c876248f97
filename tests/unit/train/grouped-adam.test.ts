import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
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
});
