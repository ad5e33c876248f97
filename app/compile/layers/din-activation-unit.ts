import * as tf from '@tensorflow/tfjs';
import { activationFn, dice, PARAMETRIC_ACTIVATION_NAMES, shapeList, toList, type BaseLayerArgs, type Kwargs } from './layer-base';

export interface DinActivationUnitArgs extends BaseLayerArgs {
  hidden: number[];
  /** Of the hidden layers: a tfjs activation name, or 'prelu' / 'dice' (α per unit, weights of this layer). */
  activation: string;
  softmax: boolean;
  /** undefined: random initial weights (allowed explicitly, so a caller can pass an optional seed on). */
  seed?: number | undefined;
}

/**
 * The query [B, d] repeated over the L positions, [B, L, d]: tf.tile's values. On wasm its gradient
 * is summed over the positions by one Sum kernel, where tfjs's Tile gradient adds a slice per
 * position (40 kernels a step for DIN's 20, ≈4 ms at batch 512); both add the positions in order,
 * from zero, in float32, so the gradients are equal bit for bit
 * (tests/unit/math/din-query-gradient.test.ts). Other backends keep tf.tile's gradient: the cpu
 * backend's Sum adds in float64, which would round differently from the runs it gave before.
 */
const repeatOverPositions = (query: tf.Tensor, length: number): tf.Tensor => {
  const repeat = (x: tf.Tensor) => tf.tile(tf.expandDims(x, 1), [1, length, 1]);
  if (tf.getBackend() !== 'wasm') return repeat(query);
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    return { value: repeat(x), gradFunc: (dy: tf.Tensor) => tf.sum(dy, 1) };
  })(query);
};

/**
 * The local activation unit of DIN (Zhou et al. 2018). Inputs [query [B, d], keys [B, L, d],
 * mask [B, L]]; each position is scored from [q, k, q − k, q ⊙ k] by a small MLP, giving [B, L].
 * Padding positions score 0. The paper keeps raw scores (no softmax) so the pooled vector keeps the
 * intensity of the user's interest; `softmax` normalises over the real positions instead.
 *
 * Weights: `kernel_i`, `bias_i` per dense layer; with the paper's PReLU or Dice on the hidden layers,
 * also `alpha_i` per hidden layer, and for Dice `moving_mean_i`, `moving_variance_i` (not trained by
 * gradients; moved by training calls, used in inference). Dice's statistics run over the batch and
 * every position, padding included, as DeepCTR's Dice in its attention unit.
 */
export class DinActivationUnit extends tf.layers.Layer {
  static readonly className = 'TowerflowDinActivationUnit';
  readonly hidden: number[];
  readonly activation: string;
  readonly softmax: boolean;
  readonly seed: number | undefined;
  private kernels: tf.LayerVariable[] = [];
  private biases: tf.LayerVariable[] = [];
  /** Per hidden layer, with prelu or dice. */
  private alphas: tf.LayerVariable[] = [];
  /** Per hidden layer, with dice. */
  private movingMeans: tf.LayerVariable[] = [];
  private movingVariances: tf.LayerVariable[] = [];

  constructor(args: DinActivationUnitArgs) {
    super(args);
    if (!Array.isArray(args.hidden) || args.hidden.some((u) => !Number.isInteger(u) || u < 1)) {
      throw new Error(`DinActivationUnit hidden must be a list of positive integers, got ${JSON.stringify(args.hidden)}`);
    }
    if (!PARAMETRIC_ACTIVATION_NAMES.includes(args.activation)) activationFn(args.activation);
    this.hidden = [...args.hidden];
    this.activation = args.activation;
    this.softmax = Boolean(args.softmax);
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const queryShape = shapeList(inputShape)[0] ?? [];
    const d = queryShape[queryShape.length - 1];
    if (typeof d !== 'number') throw new Error('DinActivationUnit needs a known query width');
    let width = 4 * d;
    const widths = [...this.hidden, 1];
    widths.forEach((units, i) => {
      const seed = this.seed === undefined ? {} : { seed: this.seed + i };
      this.kernels.push(this.addWeight(`kernel_${i}`, [width, units], 'float32', tf.initializers.glorotUniform(seed)));
      this.biases.push(this.addWeight(`bias_${i}`, [units], 'float32', tf.initializers.zeros()));
      // Only PReLU and Dice add weights: a unit with another activation keeps the weights, names and order it always had.
      if (i < this.hidden.length && PARAMETRIC_ACTIVATION_NAMES.includes(this.activation)) {
        this.alphas.push(this.addWeight(`alpha_${i}`, [units], 'float32', tf.initializers.zeros()));
        if (this.activation === 'dice') {
          this.movingMeans.push(this.addWeight(`moving_mean_${i}`, [units], 'float32', tf.initializers.zeros(), undefined, false));
          this.movingVariances.push(this.addWeight(`moving_variance_${i}`, [units], 'float32', tf.initializers.ones(), undefined, false));
        }
      }
      width = units;
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const keys = shapeList(inputShape)[1] ?? [];
    return [keys[0] ?? null, keys[1] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [query, keys, mask] = toList(inputs);
      if (!query || !keys || !mask) throw new Error('DinActivationUnit expects [query, keys, mask]');
      const [batch, length, d] = keys.shape as [number, number, number];
      const act = this.hiddenActivation(kwargs.training === true);
      let h: tf.Tensor = this.firstLayer(query, keys, batch, length, d);
      this.kernels.forEach((kernel, i) => {
        const bias = this.biases[i];
        if (!bias) throw new Error('Bug: DinActivationUnit bias missing');
        if (i > 0) h = tf.matMul(h as tf.Tensor2D, kernel.read() as tf.Tensor2D);
        h = tf.add(h, bias.read());
        if (i < this.kernels.length - 1) h = act(h, i);
      });
      const scores = tf.reshape(h, [batch, length]);
      if (!this.softmax) return tf.mul(scores, mask);
      const masked = tf.where(tf.greater(mask, 0), scores, tf.fill(scores.shape, -1e9));
      return tf.mul(tf.softmax(masked), mask);
    });
  }

  /**
   * The first dense layer's product, without its bias, [B·L, units]: [q, k, q − k, q ⊙ k] · K with
   * K = [K_q; K_k; K_d; K_p] by rows, computed as q · (K_q + K_d), once per row and repeated over the
   * positions, plus [k, q ⊙ k] · [K_k − K_d; K_p] per position: the same function of the same
   * weights, with half the per-position products (DIN at batch 512: 20 positions a row).
   */
  private firstLayer(query: tf.Tensor, keys: tf.Tensor, batch: number, length: number, d: number): tf.Tensor {
    const kernel = this.kernels[0];
    if (!kernel) throw new Error('Bug: DinActivationUnit has no first layer');
    const [kq, kk, kd, kp] = tf.split(kernel.read(), 4, 0) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const units = kq.shape[1];
    const perRow = tf.matMul(query as tf.Tensor2D, tf.add(kq, kd) as tf.Tensor2D); // [B, units]
    const q = repeatOverPositions(query, length);
    const perPosition = tf.reshape(tf.concat([keys, tf.mul(q, keys)], 2), [batch * length, 2 * d]);
    const keyPart = tf.matMul(perPosition as tf.Tensor2D, tf.concat([tf.sub(kk, kd), kp], 0) as tf.Tensor2D); // [B·L, units]
    return tf.reshape(tf.add(tf.reshape(keyPart, [batch, length, units]), repeatOverPositions(perRow, length)), [batch * length, units]);
  }

  /** The activation of hidden layer i on [B·L, units]: a function, or PReLU / Dice with that layer's weights. */
  private hiddenActivation(training: boolean): (h: tf.Tensor, i: number) => tf.Tensor {
    const weight = (list: tf.LayerVariable[], i: number): tf.LayerVariable => {
      const variable = list[i];
      if (!variable) throw new Error(`Bug: DinActivationUnit has no ${this.activation} weights for hidden layer ${i}`);
      return variable;
    };
    if (this.activation === 'prelu') return (h, i) => tf.prelu(h, weight(this.alphas, i).read());
    if (this.activation === 'dice') {
      return (h, i) => dice(h, weight(this.alphas, i), weight(this.movingMeans, i), weight(this.movingVariances, i), training);
    }
    const fn = activationFn(this.activation);
    return (h) => fn(h);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      hidden: this.hidden,
      activation: this.activation,
      softmax: this.softmax,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}
tf.serialization.registerClass(DinActivationUnit);
