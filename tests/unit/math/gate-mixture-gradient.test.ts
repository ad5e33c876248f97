import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { GateMixture } from '../../../app/compile/layers/gate-mixture';

/**
 * GateMixture writes its gradient out (gate-mixture.ts); it must be the gradient of
 * Σ_i w_i · e_i as autodiff derives it from a plain multiply-and-sum, for the gate weights and for
 * every expert input, one expert [B, d] and stacked experts [B, n, d] alike.
 */
describe('GateMixture gradient', () => {
  const B = 5;
  const d = 3;
  const weights = tf.softmax(tf.randomNormal([B, 4], 0, 1, 'float32', 1));
  const single = tf.randomNormal([B, d], 0, 1, 'float32', 2);
  const stacked = tf.randomNormal([B, 3, d], 0, 1, 'float32', 3);
  const upstream = tf.randomNormal([B, d], 0, 1, 'float32', 4);
  const layer = new GateMixture();

  const viaLayer = (w: tf.Tensor, e1: tf.Tensor, e2: tf.Tensor) => tf.sum(tf.mul(layer.apply([w, e1, e2]) as tf.Tensor, upstream)) as tf.Scalar;
  const plain = (w: tf.Tensor, e1: tf.Tensor, e2: tf.Tensor) => {
    const experts = tf.concat([tf.expandDims(e1, 1), e2], 1); // [B, 4, d]
    const mixed = tf.sum(tf.mul(tf.expandDims(w, 2), experts), 1);
    return tf.sum(tf.mul(mixed, upstream)) as tf.Scalar;
  };

  it('equals autodiff of the plain mixture for weights, a single expert and stacked experts (1e-6)', () => {
    const ours = tf.grads(viaLayer)([weights, single, stacked]).map((g) => Array.from(g.dataSync()));
    const theirs = tf.grads(plain)([weights, single, stacked]).map((g) => Array.from(g.dataSync()));
    expect(ours.map((g) => g.length)).toEqual([B * 4, B * d, B * 3 * d]);
    ours.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(v - (theirs[i]?.[j] ?? NaN))).toBeLessThan(1e-6)));
  });

  it('and the value of the plain mixture', () => {
    const a = Array.from((layer.apply([weights, single, stacked]) as tf.Tensor).dataSync());
    const experts = tf.concat([tf.expandDims(single, 1), stacked], 1);
    const b = Array.from(tf.sum(tf.mul(tf.expandDims(weights, 2), experts), 1).dataSync());
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i] as number, 6));
  });
});
