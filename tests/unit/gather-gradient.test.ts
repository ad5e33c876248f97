import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { installGatherGradient } from '../../app/engine/gather-gradient';

/** The replacement embedding gradient against the stock one (captured before installing ours). */
describe('GatherV2 gradient', () => {
  const table = tf.randomNormal([50, 6], 0, 1, 'float32', 1);
  const ids = tf.tensor2d([[3, 7, 3], [49, 0, 3], [7, 7, 12]], undefined, 'int32');
  const upstream = tf.randomNormal([3, 3, 6], 0, 1, 'float32', 2);
  const lossOf = (t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), upstream));
  const gradient = () => tf.grad(lossOf)(table);

  const stock = gradient().arraySync() as number[][];
  installGatherGradient();
  const ours = gradient().arraySync() as number[][];

  it('matches the stock UnsortedSegmentSum gradient within 1e-6, repeated ids summed', () => {
    ours.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - ((stock[i] as number[])[j] as number))).toBeLessThan(1e-6)));
  });

  it('sums the upstream rows of a repeated id (id 3 appears three times)', () => {
    const up = upstream.arraySync() as number[][][];
    const expected = [0, 1, 2, 3, 4, 5].map((j) => ((up[0] as number[][])[0] as number[])[j]! + ((up[0] as number[][])[2] as number[])[j]! + ((up[1] as number[][])[2] as number[])[j]!);
    (ours[3] as number[]).forEach((v, j) => expect(v).toBeCloseTo(expected[j] as number, 5));
    expect(ours[1]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('trains an embedding layer on the wasm backend, which has no UnsortedSegmentSum kernel', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    const previous = tf.getBackend();
    expect(await tf.setBackend('wasm')).toBe(true);
    try {
      const layer = tf.layers.embedding({ inputDim: 10, outputDim: 4, embeddingsInitializer: 'ones' });
      const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [2], dtype: 'int32' }), layer, tf.layers.flatten(), tf.layers.dense({ units: 1, kernelInitializer: 'ones' })] });
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const before = (layer.getWeights()[0] as tf.Tensor).arraySync() as number[][];
      await model.fit(tf.tensor2d([[1, 1], [2, 5]], undefined, 'int32'), tf.tensor2d([[0], [1]]), { epochs: 1, batchSize: 2, verbose: 0 });
      const after = (layer.getWeights()[0] as tf.Tensor).arraySync() as number[][];
      expect(after[0]).toEqual(before[0]);
      expect(after[1]).not.toEqual(before[1]);
    } finally {
      await tf.setBackend(previous);
    }
  });
});
