import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../app/engine/backend';
import { installLeanGradients, uninstallLeanGradients } from '../../../app/engine/lean-gradients';
import { bytesOf, censusHead, tempDir, trainedCensusMmoe } from '../train/helpers';

/**
 * Gradients of Add, Sub, Multiply, Reshape and Relu without their no-op kernels
 * (app/engine/lean-gradients.ts): bit for bit tfjs's own, for broadcast shapes and in a whole
 * training run, with fewer launches and nothing left behind.
 */
const tmp = tempDir('towerflow-lean-');
const census = tmp.write('census-600.csv', censusHead(600));

const trainedWeights = () => trainedCensusMmoe(census);

/** Gradients of each op for operands that broadcast both ways, and of a reshape and a relu. */
function opGradients(): (Float32Array | Int32Array | Uint8Array)[] {
  return tf.tidy(() => {
    const a = tf.randomNormal([3, 1, 4], 0, 1, 'float32', 1);
    const b = tf.randomNormal([2, 4], 0, 1, 'float32', 2);
    const c = tf.randomNormal([3, 2, 4], 0, 1, 'float32', 3);
    const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
      tf.sum(tf.mul(tf.relu(tf.reshape(tf.sub(tf.add(x, y), tf.mul(y, z)), [6, 4])), tf.reshape(tf.add(z, x), [6, 4])));
    return tf.grads(f)([a, b, c]).map((g) => g.dataSync());
  });
}

describe('lean gradients', () => {
  afterAll(async () => {
    tmp.cleanup();
    installLeanGradients();
    await tf.setBackend('cpu');
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`equal tfjs's bit for bit on ${backend}: broadcast Add, Sub, Multiply, Reshape, Relu, and census MMoE after 2 epochs`, async () => {
      const choice = await chooseBackend(backend);
      if ('error' in choice) throw new Error(choice.error);
      installLeanGradients();
      const leanOps = opGradients();
      const lean = await trainedWeights();
      uninstallLeanGradients();
      const stockOps = opGradients();
      const stock = await trainedWeights();
      installLeanGradients();
      expect(leanOps.map((g) => g.length)).toEqual([12, 8, 24]);
      expect(bytesOf(leanOps)).toEqual(bytesOf(stockOps));
      expect(bytesOf(lean)).toEqual(bytesOf(stock));
    });
  }

  it('launch fewer kernels (no Reshape or Cast that changes nothing) and leave no tensor behind', async () => {
    await tf.setBackend('wasm');
    const launches = async () => (await tf.profile(() => void opGradients())).kernels.map((k) => k.name);
    uninstallLeanGradients();
    const stock = await launches();
    installLeanGradients();
    const lean = await launches();
    const count = (names: string[], name: string) => names.filter((n) => n === name).length;
    expect(count(lean, 'Cast')).toBe(0);
    expect(count(stock, 'Cast')).toBeGreaterThanOrEqual(3);
    expect(count(lean, 'Reshape')).toBeLessThan(count(stock, 'Reshape'));
    const before = tf.memory().numTensors;
    opGradients();
    expect(tf.memory().numTensors).toBe(before);
  });
});
