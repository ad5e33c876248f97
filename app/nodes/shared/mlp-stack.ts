import * as tf from '@tensorflow/tfjs';
import type { Activation } from './params';
import type { BuildContext } from '../define-node';

export interface MlpSpec {
  units: number[];
  activation: Activation;
  dropout: number;
  batchNorm: boolean;
  l2?: number;
}

/**
 * Dense → (batch norm) → activation → (dropout), per layer. Batch norm sits between the affine map
 * and the activation, as in the DeepCTR/Keras recipes the templates are compared with.
 */
export function applyMlp(
  ctx: BuildContext<unknown>,
  x: tf.SymbolicTensor,
  spec: MlpSpec,
  prefix: string,
): tf.SymbolicTensor {
  let h = x;
  spec.units.forEach((units, i) => {
    const seed = ctx.nextSeed();
    h = tf.layers
      .dense({
        units,
        activation: spec.batchNorm ? 'linear' : spec.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        kernelRegularizer: spec.l2 ? tf.regularizers.l2({ l2: spec.l2 }) : undefined,
        name: ctx.layerName(`${prefix}dense_${i}`),
      })
      .apply(h) as tf.SymbolicTensor;
    if (spec.batchNorm) {
      h = tf.layers.batchNormalization({ name: ctx.layerName(`${prefix}bn_${i}`) }).apply(h) as tf.SymbolicTensor;
      if (spec.activation !== 'linear') {
        h = tf.layers.activation({ activation: spec.activation, name: ctx.layerName(`${prefix}act_${i}`) }).apply(h) as tf.SymbolicTensor;
      }
    }
    if (spec.dropout > 0) {
      h = tf.layers.dropout({ rate: spec.dropout, seed: ctx.nextSeed(), name: ctx.layerName(`${prefix}dropout_${i}`) }).apply(h) as tf.SymbolicTensor;
    }
  });
  return h;
}
