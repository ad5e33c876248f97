import * as tf from '@tensorflow/tfjs';
import { shapeList, toList, type BaseLayerArgs } from './layer-base';

/**
 * The mixture of a gate: inputs [weights [B, E], experts…] where each expert tensor is [B, d]
 * (one expert) or [B, n, d] (n stacked experts), E in total, in input order.
 * Output Σ_i weights_i · expert_i, [B, d].
 */
export class GateMixture extends tf.layers.Layer {
  static readonly className = 'TowerflowGateMixture';

  constructor(args: BaseLayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = shapeList(inputShape);
    const firstExpert = shapes[1] ?? [];
    return [shapes[0]?.[0] ?? null, firstExpert[firstExpert.length - 1] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [weights, ...experts] = toList(inputs);
      if (!weights || experts.length === 0) throw new Error('GateMixture expects gate weights and at least one expert');
      const parts = experts.map((e) => (e.rank === 2 ? tf.expandDims(e, 1) : e));
      const stacked = (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor3D;
      return mixture(weights, stacked);
    });
  }
}

/**
 * Σ_i w_i · e_i as [B, 1, E] × [B, E, d]: one batched matMul. Measured against a broadcast
 * multiply and sum (forward + backward, B = 256, E = 8, d = 16): 16× faster on cpu, 1.5× on wasm.
 * Its gradient is written out because the one tfjs derives for the experts, wᵀ·dy, is a batched
 * product over an inner dimension of 1, which XNNPACK (wasm) runs B times at a fixed cost each; the
 * same values as one broadcast multiply, w ⊗ dy: forward and backward took about a quarter less
 * at B = 4,096 (7.8 against 10.1 ms, interleaved runs).
 */
const mixture = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [weights, stacked, save] = args as [tf.Tensor, tf.Tensor3D, tf.GradSaveFunc];
  save([weights, stacked]);
  const value = tf.squeeze(tf.matMul(tf.expandDims(weights, 1) as tf.Tensor3D, stacked), [1]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [w, experts] = saved as [tf.Tensor, tf.Tensor3D];
      const dy3 = tf.expandDims(dy, 1) as tf.Tensor3D; // [B, 1, d]
      const dWeights = tf.squeeze(tf.matMul(dy3, experts, false, true), [1]); // [B, E]
      const dExperts = tf.mul(tf.expandDims(w, 2), dy3); // [B, E, d]
      return [dWeights, dExperts];
    },
  };
}) as (weights: tf.Tensor, stacked: tf.Tensor3D) => tf.Tensor;
tf.serialization.registerClass(GateMixture);
