import * as tf from '@tensorflow/tfjs';
import { shapeList, toList, type BaseLayerArgs } from './layer-base';

export type PoolingMode = 'sum' | 'mean';

export interface MaskedPoolingArgs extends BaseLayerArgs {
  mode: PoolingMode;
}

/**
 * [values [B, L, d], mask [B, L]] → sum or mean over the real positions, [B, d]. The base model of
 * the DIN paper pools the history this way; an all-padding history pools to zeros.
 */
export class MaskedPooling extends tf.layers.Layer {
  static readonly className = 'TowerflowMaskedPooling';
  readonly mode: PoolingMode;

  constructor(args: MaskedPoolingArgs) {
    super(args);
    if (args.mode !== 'sum' && args.mode !== 'mean') {
      throw new Error(`MaskedPooling mode must be "sum" or "mean", got ${JSON.stringify(args.mode)}`);
    }
    this.mode = args.mode;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const values = shapeList(inputShape)[0] ?? [];
    return [values[0] ?? null, values[2] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [values, mask] = toList(inputs);
      if (!values || !mask) throw new Error('MaskedPooling expects [values, mask]');
      const summed = tf.sum(tf.mul(values, tf.expandDims(mask, 2)), 1);
      if (this.mode === 'sum') return summed;
      return tf.div(summed, tf.maximum(tf.sum(mask, 1, true), 1));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}
tf.serialization.registerClass(MaskedPooling);
