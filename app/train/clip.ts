import * as tf from '@tensorflow/tfjs';

/**
 * Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ does it (so a run and the
 * PyTorch export's train.py clip alike): total = sqrt(Σ‖g‖²) over every gradient; coef =
 * clipNorm / (total + 1e-6); when coef < 1 every gradient is multiplied by coef, else left alone.
 */
export const CLIP_EPSILON = 1e-6;

/** The factor the gradients are multiplied by (1 when under the threshold): the rule in numbers. */
export function clipCoefficient(totalNorm: number, clipNorm: number): number {
  const coef = clipNorm / (totalNorm + CLIP_EPSILON);
  return coef < 1 ? coef : 1;
}

/**
 * The gradients clipped on the device, without reading the norm back (a read would stall a GPU
 * queue every step): the coefficient is min(1, coef) as a tensor. The caller owns the result; the
 * input tensors are left as they are.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, clipNorm: number): tf.NamedTensorMap {
  const names = Object.keys(grads);
  if (names.length === 0) return {};
  return tf.tidy(() => {
    const squares = names.map((name) => tf.sum(tf.square(grads[name] as tf.Tensor)));
    const total = tf.sqrt(squares.length === 1 ? (squares[0] as tf.Scalar) : tf.addN(squares));
    const coef = tf.minimum(tf.div(clipNorm, tf.add(total, CLIP_EPSILON)), 1);
    return Object.fromEntries(names.map((name) => [name, tf.mul(grads[name] as tf.Tensor, coef)]));
  });
}
