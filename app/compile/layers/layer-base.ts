import * as tf from '@tensorflow/tfjs';

/** Arguments every Towerflow layer accepts (the subset of tfjs LayerArgs we use). */
export interface BaseLayerArgs {
  name?: string;
  trainable?: boolean;
}

export type Kwargs = Record<string, unknown>;

export const toList = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(inputs) ? inputs : [inputs]);

export const shapeList = (inputShape: tf.Shape | tf.Shape[]): tf.Shape[] =>
  Array.isArray(inputShape[0]) || inputShape.length === 0 ? (inputShape as tf.Shape[]) : [inputShape as tf.Shape];

/** Activations the custom layers apply to raw tensors; names match the tfjs layer activations. */
export const ACTIVATION_FNS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  relu: (x) => tf.relu(x),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  linear: (x) => x,
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
};

/** The activations with a learned α per unit (DIN's PReLU and Dice): layers with weights, never an entry of ACTIVATION_FNS. */
export const PARAMETRIC_ACTIVATION_NAMES: readonly string[] = ['prelu', 'dice'];

export function activationFn(name: string): (x: tf.Tensor) => tf.Tensor {
  if (PARAMETRIC_ACTIVATION_NAMES.includes(name)) {
    throw new Error(`Bug: activation "${name}" learns α per unit, so it is a layer with weights (tf.layers.prelu, Dice), not a function of the values`);
  }
  const fn = ACTIVATION_FNS[name];
  if (!fn) throw new Error(`Unknown activation "${name}"; expected one of ${Object.keys(ACTIVATION_FNS).join(', ')}`);
  return fn;
}

/** Dice's ε, as DeepCTR's Dice (BatchNormalization(epsilon=1e-9)). */
export const DICE_EPSILON = 1e-9;

/** Dice's moving averages keep this much of their value at each training call (Keras BatchNormalization's momentum). */
export const DICE_MOMENTUM = 0.99;

/**
 * Dice (Zhou et al. 2018), per unit of the last axis: p(s)·s + (1 − p(s))·α·s with
 * p(s) = sigmoid((s − E[s]) / √(Var[s] + ε)). Training: E and Var are the batch's, over every axis
 * but the last (biased variance, as batch norm), and the moving averages step toward them,
 * moving ← moving·0.99 + batch·0.01, written in place as tfjs's BatchNormalization writes its own.
 * Inference: the moving averages stand in for E and Var. Call it inside tf.tidy.
 */
export function dice(x: tf.Tensor, alpha: tf.LayerVariable, movingMean: tf.LayerVariable, movingVariance: tf.LayerVariable, training: boolean): tf.Tensor {
  let mean: tf.Tensor;
  let variance: tf.Tensor;
  if (training) {
    const moments = tf.moments(x, Array.from({ length: x.rank - 1 }, (_, axis) => axis));
    mean = moments.mean;
    variance = moments.variance;
    for (const [moving, batch] of [[movingMean, mean], [movingVariance, variance]] as const) {
      tf.tidy(() => {
        moving.write(tf.add(tf.mul(moving.read(), DICE_MOMENTUM), tf.mul(batch, 1 - DICE_MOMENTUM)));
      });
    }
  } else {
    mean = movingMean.read();
    variance = movingVariance.read();
  }
  const p = tf.sigmoid(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, DICE_EPSILON))));
  return tf.add(tf.mul(p, x), tf.mul(tf.mul(tf.sub(1, p), alpha.read()), x));
}
