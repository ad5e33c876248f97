import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installBackwardSaves, uninstallBackwardSaves } from '../../../app/engine/backward-saves';
import { chooseBackend } from '../../../app/engine/backend';
import { bytesOf, censusHead, tempDir, trainedCensusMmoe } from '../train/helpers';

/**
 * Tensors kept for the gradient without a kernel launch (app/engine/backward-saves.ts): the same
 * weights bit for bit as tfjs's own clone, no Identity launches for saves, no tensor or buffer left
 * behind, and gradients of gradients still right.
 */

const tmp = tempDir('towerflow-saves-');
const census = tmp.write('census-600.csv', censusHead(600));

const trainedWeights = () => trainedCensusMmoe(census);

describe('saves for the backward pass', () => {
  afterAll(async () => {
    tmp.cleanup();
    installBackwardSaves();
    await tf.setBackend('cpu');
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`train census MMoE (2 epochs) to the same weights as tfjs's clone, bit for bit, on ${backend}`, async () => {
      const choice = await chooseBackend(backend);
      if ('error' in choice) throw new Error(choice.error);
      installBackwardSaves();
      const fast = await trainedWeights();
      uninstallBackwardSaves();
      const stock = await trainedWeights();
      installBackwardSaves();
      expect(fast.length).toBeGreaterThan(4);
      expect(bytesOf(fast)).toEqual(bytesOf(stock));
    });
  }

  it('launch no Identity kernel for a save, and leave no tensor or data buffer behind', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([8, 5], 0, 1, 'float32', 1);
    const w = tf.variable(tf.randomNormal([5, 3], 0, 1, 'float32', 2));
    const step = () => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.sigmoid(tf.matMul(tf.relu(a), b))))([x, w]));
    const identities = async () => (await tf.profile(() => void tf.dispose(step()))).kernels.filter((k) => k.name === 'Identity').length;
    uninstallBackwardSaves();
    const stockIdentities = await identities();
    installBackwardSaves();
    expect(stockIdentities).toBeGreaterThanOrEqual(3); // relu's input, sigmoid's output, both matMul operands…
    expect(await identities()).toBe(0);
    tf.dispose(step());
    const before = { ...tf.memory() };
    for (let i = 0; i < 5; i++) tf.dispose(step());
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    tf.dispose([x, w]);
  });

  it('leave gradients of gradients as tfjs gives them: d²/dx² of x³ is 6x, and x·eˣ, x²·Σx equal the stock engine\'s', async () => {
    await tf.setBackend('cpu');
    const x = tf.tensor1d([-1.5, 0.5, 2]);
    const second = (f: (t: tf.Tensor) => tf.Tensor) => tf.tidy(() => Array.from(tf.grad((t: tf.Tensor) => tf.grad(f)(t))(x).dataSync()));
    const functions = [
      (t: tf.Tensor) => tf.pow(t, 3),
      (t: tf.Tensor) => tf.mul(tf.exp(t), t),
      (t: tf.Tensor) => tf.mul(tf.square(t), tf.sum(t)),
    ];
    uninstallBackwardSaves();
    const stock = functions.map(second);
    installBackwardSaves();
    const fast = functions.map(second);
    expect(fast[0]).toEqual([-9, 3, 12]);
    expect(fast).toEqual(stock);
    x.dispose();
  });
});
