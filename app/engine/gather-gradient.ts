import * as tf from '@tensorflow/tfjs';

/**
 * Embedding lookups are GatherV2 on axis 0. tfjs's stock gradient for it goes through
 * UnsortedSegmentSum, which the wasm backend lacks (training fails) and the cpu backend runs very
 * slowly. For the axis-0, batchDims-0 case we scatter the incoming gradient rows back onto the table
 * with scatterND, which sums rows of repeated ids exactly like the segment sum; other cases keep the
 * stock gradient. tests/unit/gather-gradient.test.ts checks it against the stock gradient.
 */
let installed = false;

export function installGatherGradient(): void {
  if (installed) return;
  const stock = tf.getGradient('GatherV2');
  tf.registerGradient({
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved as [tf.Tensor, tf.Tensor];
      const { axis, batchDims } = attrs as { axis: number | number[]; batchDims: number };
      const axis0 = (Array.isArray(axis) ? axis[0] : axis) === 0;
      if (!axis0 || batchDims !== 0) return stock.gradFunc(dy, saved, attrs);
      return {
        x: () => {
          const grad = Array.isArray(dy) ? dy[0] : dy;
          if (!grad) throw new Error('Bug: GatherV2 gradient without dy');
          const rowShape = x.shape.slice(1);
          const rows = tf.reshape(grad, [indices.size, ...rowShape]);
          const where = tf.reshape(tf.cast(indices, 'int32'), [indices.size, 1]);
          return tf.scatterND(where, rows, x.shape);
        },
        indices: () => indices,
      };
    },
  });
  installed = true;
}
