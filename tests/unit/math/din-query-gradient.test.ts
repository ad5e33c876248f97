import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../app/engine/backend';
import { DinActivationUnit } from '../../../app/compile/layers/din-activation-unit';

/**
 * On wasm DIN's activation unit repeats the query over the history with its own gradient (one Sum
 * over the positions instead of tfjs's Tile gradient, a slice and an add per position). Its
 * gradients must be those of the unit written with tf.tile, bit for bit, on wasm and on cpu (where
 * the unit keeps tf.tile's gradient).
 */
function gradients(useLayer: boolean): number[][] {
  return tf.tidy(() => {
    const [batch, length, d] = [64, 20, 8];
    const query = tf.randomNormal([batch, d], 0, 1, 'float32', 1);
    const keys = tf.randomNormal([batch, length, d], 0, 1, 'float32', 2);
    const mask = tf.cast(tf.greater(tf.randomUniform([batch, length], 0, 1, 'float32', 3), 0.3), 'float32');
    const unit = new DinActivationUnit({ hidden: [16, 8], activation: 'sigmoid', softmax: false, seed: 4 });
    unit.apply([tf.input({ shape: [d] }), tf.input({ shape: [length, d] }), tf.input({ shape: [length] })]);
    const weights = unit.getWeights();
    // The unit's call as it was, with tf.tile and its stock gradient.
    const withTile = (q: tf.Tensor, k: tf.Tensor, ...w: tf.Tensor[]) => {
      const repeated = tf.tile(tf.expandDims(q, 1), [1, length, 1]);
      let h: tf.Tensor = tf.reshape(tf.concat([repeated, k, tf.sub(repeated, k), tf.mul(repeated, k)], 2), [batch * length, 4 * d]);
      for (let i = 0; i < w.length; i += 2) {
        h = tf.add(tf.matMul(h as tf.Tensor2D, w[i] as tf.Tensor2D), w[i + 1] as tf.Tensor);
        if (i + 2 < w.length) h = tf.sigmoid(h);
      }
      return tf.mul(tf.reshape(h, [batch, length]), mask);
    };
    const loss = (q: tf.Tensor, k: tf.Tensor, ...w: tf.Tensor[]) => {
      const scores = useLayer ? (unit.call([q, k, mask], {}) as tf.Tensor) : withTile(q, k, ...w);
      return tf.sum(tf.square(scores));
    };
    // The layer reads its own variables: its weight gradients come through them, so only query and keys are compared here, plus the value.
    const [dq, dk] = tf.grads((q: tf.Tensor, k: tf.Tensor) => loss(q, k, ...weights))([query, keys]);
    return [Array.from(loss(query, keys, ...weights).dataSync()), Array.from(dq!.dataSync()), Array.from(dk!.dataSync())];
  });
}

describe('DIN activation unit: query repeated over positions', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const backend of ['wasm', 'cpu']) {
    it(`gives tf.tile's value and gradients bit for bit on ${backend}`, async () => {
      if (backend === 'wasm') {
        const choice = await chooseBackend('wasm');
        if ('error' in choice) throw new Error(choice.error);
      } else await tf.setBackend('cpu');
      const [value, dq, dk] = gradients(true);
      const [tileValue, tileDq, tileDk] = gradients(false);
      expect(dq!.some((v) => v !== 0)).toBe(true);
      expect(value).toEqual(tileValue);
      expect(dq).toEqual(tileDq);
      expect(dk).toEqual(tileDk);
    });
  }
});
