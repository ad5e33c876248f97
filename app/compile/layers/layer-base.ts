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

export function activationFn(name: string): (x: tf.Tensor) => tf.Tensor {
  const fn = ACTIVATION_FNS[name];
  if (!fn) throw new Error(`Unknown activation "${name}"; expected one of ${Object.keys(ACTIVATION_FNS).join(', ')}`);
  return fn;
}
