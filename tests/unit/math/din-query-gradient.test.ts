import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../app/engine/backend';
import { DinActivationUnit } from '../../../app/compile/layers/din-activation-unit';

/**
 * DIN's activation unit computes its first layer as q · (K_q + K_d), once per row, plus
 * [k, q ⊙ k] · [K_k − K_d; K_p] per position, with the query repeated over the positions by its own
 * gradient on wasm. It must be the unit written out as the paper gives it — [q, k, q − k, q ⊙ k]
 * through tf.tile, one product with the whole kernel — in value and in every gradient (query, keys
 * and each weight), on wasm and on cpu, up to float rounding.
 */
interface Result {
  value: number;
  inputs: number[][];
  weights: number[][];
}

function run(useLayer: boolean): Result {
  return tf.tidy(() => {
    const [batch, length, d] = [64, 20, 8];
    const query = tf.randomNormal([batch, d], 0, 1, 'float32', 1);
    const keys = tf.randomNormal([batch, length, d], 0, 1, 'float32', 2);
    const mask = tf.cast(tf.greater(tf.randomUniform([batch, length], 0, 1, 'float32', 3), 0.3), 'float32');
    const unit = new DinActivationUnit({ hidden: [16, 8], activation: 'sigmoid', softmax: false, seed: 4 });
    unit.apply([tf.input({ shape: [d] }), tf.input({ shape: [length, d] }), tf.input({ shape: [length] })]);
    const variables = unit.trainableWeights.map((w) => w.read() as tf.Variable);
    // The paper's form, with tf.tile and its stock gradient, on the unit's own weights.
    const written = (q: tf.Tensor, k: tf.Tensor, w: readonly tf.Tensor[]) => {
      const repeated = tf.tile(tf.expandDims(q, 1), [1, length, 1]);
      let h: tf.Tensor = tf.reshape(tf.concat([repeated, k, tf.sub(repeated, k), tf.mul(repeated, k)], 2), [batch * length, 4 * d]);
      for (let i = 0; i < w.length; i += 2) {
        h = tf.add(tf.matMul(h as tf.Tensor2D, w[i] as tf.Tensor2D), w[i + 1] as tf.Tensor);
        if (i + 2 < w.length) h = tf.sigmoid(h);
      }
      return tf.mul(tf.reshape(h, [batch, length]), mask);
    };
    const loss = (q: tf.Tensor, k: tf.Tensor, w: readonly tf.Tensor[]) => tf.sum(tf.square(useLayer ? (unit.call([q, k, mask], {}) as tf.Tensor) : written(q, k, w)));
    const [dq, dk] = tf.grads((q: tf.Tensor, k: tf.Tensor) => loss(q, k, variables))([query, keys]);
    // Weight gradients: through the layer's variables, or as inputs of the written form.
    const dw = useLayer
      ? (() => {
          const { grads } = tf.variableGrads(() => loss(query, keys, variables) as tf.Scalar, variables);
          return variables.map((v) => grads[v.name] as tf.Tensor);
        })()
      : tf.grads((...w: tf.Tensor[]) => loss(query, keys, w))(variables);
    return {
      value: loss(query, keys, variables).dataSync()[0] as number,
      inputs: [dq, dk].map((g) => Array.from(g!.dataSync())),
      weights: dw.map((g) => Array.from(g.dataSync())),
    };
  });
}

const close = (got: number[], want: number[]) => {
  const scale = Math.max(...want.map(Math.abs));
  expect(scale).toBeGreaterThan(0);
  got.forEach((v, i) => expect(Math.abs(v - (want[i] as number))).toBeLessThan(1e-5 * scale));
};

describe('DIN activation unit: first layer per row and per position', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const backend of ['wasm', 'cpu']) {
    it(`is the paper's [q, k, q − k, q ⊙ k] · K in value and every gradient on ${backend}`, async () => {
      if (backend === 'wasm') {
        const choice = await chooseBackend('wasm');
        if ('error' in choice) throw new Error(choice.error);
      } else await tf.setBackend('cpu');
      const layer = run(true);
      const paper = run(false);
      expect(Math.abs(layer.value - paper.value)).toBeLessThan(1e-5 * Math.abs(paper.value));
      layer.inputs.forEach((g, i) => close(g, paper.inputs[i] as number[]));
      expect(layer.weights).toHaveLength(6); // kernel and bias of three layers
      layer.weights.forEach((g, i) => close(g, paper.weights[i] as number[]));
    });
  }
});
