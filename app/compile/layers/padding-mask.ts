import * as tf from '@tensorflow/tfjs';
import type { BaseLayerArgs } from './layer-base';

/** ids [B, L] (int32, 0 = padding) → mask [B, L] float32, 1 where a real id stands. */
export class PaddingMask extends tf.layers.Layer {
  static readonly className = 'TowerflowPaddingMask';

  constructor(args: BaseLayerArgs = {}) {
    super({ ...args, trainable: false });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return inputShape as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!ids) throw new Error('PaddingMask expects one input');
      return tf.cast(tf.notEqual(ids, 0), 'float32');
    });
  }
}
tf.serialization.registerClass(PaddingMask);
