import * as tf from '@tensorflow/tfjs';
import { shapeList, toList, type BaseLayerArgs } from './layer-base';

/** N expert outputs [B, u] → one tensor [B, N, u], so a node with `count` experts is one edge. */
export class StackExperts extends tf.layers.Layer {
  static readonly className = 'TowerflowStackExperts';

  constructor(args: BaseLayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = shapeList(inputShape);
    const first = shapes[0] ?? [null, null];
    return [first[0] ?? null, shapes.length, first[1] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.stack(toList(inputs), 1));
  }
}
tf.serialization.registerClass(StackExperts);
