import * as tf from '@tensorflow/tfjs';
import { shapeList, toList, type BaseLayerArgs } from './layer-base';

/** [weights [B, L], values [B, L, d]] → Σ_l weights_l · values_l, [B, d]. Pools a sequence. */
export class WeightedSum extends tf.layers.Layer {
  static readonly className = 'TowerflowWeightedSum';

  constructor(args: BaseLayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const values = shapeList(inputShape)[1] ?? [];
    return [values[0] ?? null, values[2] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [weights, values] = toList(inputs);
      if (!weights || !values) throw new Error('WeightedSum expects [weights, values]');
      return tf.sum(tf.mul(tf.expandDims(weights, 2), values), 1);
    });
  }
}
tf.serialization.registerClass(WeightedSum);
